package report

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"

	"github.com/mrswarm/mrswarm/pipeline/report/chart"
)

// chartLinkRE is a chart link of the markdown report (see [ChartLink]).
var chartLinkRE = regexp.MustCompile(`^/v1/results/(res_[0-9a-z]+)/chart\.svg(?:\?kind=([a-z]+))?$`)

// anchorRE is the only raw HTML the report writes: a table's anchor.
var anchorRE = regexp.MustCompile(`^(?:<a id="res_[0-9a-z]+">|</a>)$`)

// ChartLink is the address of handle h's chart of kind k on the server.
func ChartLink(h string, k chart.Kind) string {
	return fmt.Sprintf("/v1/results/%s/chart.svg?kind=%s", h, k)
}

// chartLinksRE finds the chart links of a markdown report.
var chartLinksRE = regexp.MustCompile(`\]\((/v1/results/res_[0-9a-z]+/chart\.svg(?:\?kind=[a-z]+)?)\)`)

// ChartLinks lists the chart links of a markdown report, in order; its HTML
// has one inline SVG for each.
func ChartLinks(markdown string) []string {
	var out []string
	for _, m := range chartLinksRE.FindAllStringSubmatch(markdown, -1) {
		out = append(out, m[1])
	}
	return out
}

// ChartFunc draws handle h's chart of kind k as an SVG document.
type ChartFunc func(h string, k chart.Kind) ([]byte, error)

// HTML turns a markdown report into one self-contained HTML document: inline
// CSS, each chart link replaced by the chart itself as inline SVG (drawn by
// charts; see [ChartLinks]), links only within the document, and nothing that loads or runs: the
// text of agents is escaped, and links or images to anything else are left as
// their text.
func HTML(markdown string, charts ChartFunc) (string, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(&htmlRenderer{charts: charts}, 100))),
	)
	var body bytes.Buffer
	if err := md.Convert([]byte(markdown), &body); err != nil {
		return "", fmt.Errorf("report html: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n",
		html.EscapeString(title(markdown)), css)
	b.Write(body.Bytes())
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.String(), nil
}

// title is the text of the document's first heading.
func title(markdown string) string {
	first, _, _ := strings.Cut(markdown, "\n")
	if t, ok := strings.CutPrefix(first, "# "); ok {
		return t
	}
	return "mrswarm report"
}

// htmlRenderer renders the nodes that could load or run something.
type htmlRenderer struct {
	charts ChartFunc
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *htmlRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindAutoLink, r.autoLink)
	reg.Register(ast.KindRawHTML, r.rawHTML)
	reg.Register(ast.KindHTMLBlock, r.htmlBlock)
}

// image is its alt text: the report loads no image.
func (r *htmlRenderer) image(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(html.EscapeString(string(nodeText(n, src))))
	}
	return ast.WalkSkipChildren, nil
}

// link draws a chart link's chart inline, keeps links within the document, and
// leaves any other link as its text.
func (r *htmlRenderer) link(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	dest := string(n.(*ast.Link).Destination)
	if m := chartLinkRE.FindStringSubmatch(dest); m != nil && r.charts != nil {
		if entering {
			r.chart(w, m[1], chart.Kind(m[2]), string(nodeText(n, src)))
		}
		return ast.WalkSkipChildren, nil
	}
	if !strings.HasPrefix(dest, "#") {
		return ast.WalkContinue, nil
	}
	if entering {
		_, _ = fmt.Fprintf(w, "<a href=\"%s\">", html.EscapeString(dest))
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

// chart writes handle h's chart of kind k as inline SVG with its caption (a
// span: it sits in the link's paragraph).
func (r *htmlRenderer) chart(w util.BufWriter, h string, k chart.Kind, caption string) {
	svg, err := r.charts(h, k)
	if err != nil {
		_, _ = fmt.Fprintf(w, "<em>%s: not available (%s)</em>", html.EscapeString(caption), html.EscapeString(err.Error()))
		return
	}
	_, _ = fmt.Fprintf(w, "<span class=\"chart\">%s<span class=\"caption\">%s</span></span>", chart.Inline(svg), html.EscapeString(caption))
}

func (r *htmlRenderer) autoLink(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(html.EscapeString(string(n.(*ast.AutoLink).Label(src))))
	}
	return ast.WalkSkipChildren, nil
}

// rawHTML passes the tables' anchors and escapes everything else.
func (r *htmlRenderer) rawHTML(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	segs := n.(*ast.RawHTML).Segments
	var raw []byte
	for i := range segs.Len() {
		seg := segs.At(i)
		raw = append(raw, seg.Value(src)...)
	}
	if anchorRE.Match(raw) {
		_, _ = w.Write(raw)
	} else {
		_, _ = w.WriteString(html.EscapeString(string(raw)))
	}
	return ast.WalkSkipChildren, nil
}

// htmlBlock escapes a block of HTML: the report writes none.
func (r *htmlRenderer) htmlBlock(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	b := n.(*ast.HTMLBlock)
	_, _ = w.WriteString("<p>")
	for i := range b.Lines().Len() {
		line := b.Lines().At(i)
		_, _ = w.WriteString(html.EscapeString(string(line.Value(src))))
	}
	if b.HasClosure() {
		_, _ = w.WriteString(html.EscapeString(string(b.ClosureLine.Value(src))))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

// nodeText is the plain text of n's children.
func nodeText(n ast.Node, src []byte) []byte {
	var b []byte
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b = append(b, t.Value(src)...)
		} else {
			b = append(b, nodeText(c, src)...)
		}
	}
	return b
}

// css styles the document for screen and print.
const css = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin-top:0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;font-variant-numeric:tabular-nums;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td:not(:first-child){text-align:right}
blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #d4a72c;background:#fff8c5}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;background:#f6f8fa;padding:0 .2em}
.chart{display:block;margin:1rem 0}.chart svg{display:block;max-width:100%;height:auto}
.caption{display:block;font-size:.85rem;color:#57606a}
@media print{
body{font-size:11pt}main{max-width:none;padding:0}
a{color:inherit;text-decoration:none}
h2,h3,h4{break-after:avoid}
table{display:table;font-size:9pt}table,.chart{break-inside:avoid}
blockquote{background:none}
}
`
