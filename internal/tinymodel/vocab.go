package tinymodel

import "fmt"

// Token types of the llama (SentencePiece) tokenizer.
const (
	tokenNormal  int32 = 1
	tokenUnknown int32 = 2
	tokenControl int32 = 3
	tokenByte    int32 = 6
)

// Ids of the special tokens.
const (
	unkID = 0
	bosID = 1
	eosID = 2
)

// space is SentencePiece's visible space; the tokenizer turns " " into it and
// detokenizing turns it back.
const space = "▁"

// pieces are the multi-character tokens after the single characters. JSON
// punctuation comes first so schema grammars can be satisfied in few tokens;
// words common in mrswarm's prompts and answers follow. Every prefix of a
// piece is added too: the SentencePiece tokenizer only builds a piece by
// merging two pieces that are themselves tokens.
var pieces = []string{
	`{"`, `"}`, `":`, `":"`, `",`, `","`, `,"`, `"]`, `["`, `":["`, `"]}`,
	`":{"`, `"},`, `},{"`, `}}`, `{}`, `[]`, `":▁"`, `,▁"`, `",▁"`, `":▁{`,
	`":▁[`, `},`, `],`, `"▁`, `▁"`, `▁{`, `▁}`,
	`true`, `false`, `null`, `name`, `arguments`, `tool`, `answer`, `final`,
	`findings`, `handle`, `summary`, `text`, `value`, `type`, `step`, `error`,
	`brand`, `region`, `sales`, `revenue`, `price`, `category`, `channel`,
	`units`, `month`, `total`, `count`, `average`, `market`, `campaign`,
	`budget`, `audience`, `forecast`, `profit`, `margin`, `growth`, `share`,
	`▁the`, `▁a`, `▁of`, `▁and`, `▁to`, `▁in`, `▁is`, `▁for`, `▁on`, `▁with`,
	`▁by`, `▁per`, `▁from`, `▁that`, `▁this`, `▁are`, `▁be`, `▁as`, `▁or`,
	`▁You`, `▁you`, `▁your`, `▁use`, `▁data`, `▁tool`, `▁user`, `▁system`,
	`ing`, `ion`, `tion`, `ed`, `er`, `es`, `en`, `an`, `on`, `re`, `th`,
	`he`, `in`, `at`, `or`, `st`, `al`, `ar`, `le`, `it`, `is`, `ou`, `ly`,
	`00`, `10`, `20`, `50`, `202`, `2024`, `2025`, `0.`, `.0`, `.5`, `_id`,
	`_name`, `_count`, `_total`, `_by_`,
}

// vocabulary returns the token pieces, their scores and types: <unk>, <s>,
// </s>, the 256 byte tokens, the space and printable ASCII characters, then
// the multi-character pieces and their prefixes, then the learned pieces.
func vocabulary() (tokens []string, scores []float32, types []int32) {
	add := func(piece string, score float32, typ int32) {
		tokens = append(tokens, piece)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, tokenUnknown)
	add("<s>", 0, tokenControl)
	add("</s>", 0, tokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokenByte)
	}
	seen := map[string]bool{}
	normal := func(piece string) {
		if !seen[piece] {
			seen[piece] = true
			add(piece, -float32(len(seen)), tokenNormal)
		}
	}
	normal(space)
	for c := byte('!'); c <= '~'; c++ {
		normal(string(c))
	}
	for _, p := range pieces {
		for _, prefix := range prefixes(p) {
			normal(prefix)
		}
	}
	for _, p := range learned {
		normal(p)
	}
	return tokens, scores, types
}

// prefixes returns the prefixes of p of two or more runes, shortest first,
// ending with p itself.
func prefixes(p string) []string {
	var out []string
	runes := []rune(p)
	for n := 2; n <= len(runes); n++ {
		out = append(out, string(runes[:n]))
	}
	return out
}

// learned are pieces learned by byte-pair merging (400 merges, most frequent
// pair first) over the text mrswarm sends to models: the agent definitions
// and prompt strings of pipeline/agent and the beverage dataset's column
// names and categorical values. Each is two earlier tokens joined, so the
// tokenizer can build it; they bring prompts from about 1.6 to about 3
// characters per token, which matters because prompt evaluation grows with
// the square of the prompt length.
var learned = []string{
	"and", "▁c", "ro", "▁m", "et", "ac", "as", "ol", "am", "▁re", "rand", "ec",
	"ce", "▁n", "▁%", "▁e", "▁A", "▁brand", "▁g", "▁-", "ket", "arket", "um",
	"ate", "▁S", "▁C", "ver", "ore", "ance", "▁market", "rof", "orm", "form",
	"erform", "ep", "aly", "om", "oal", "erformance", "▁goal", "▁ro", "▁R",
	"ve", "se", "ity", "il", "ame", "▁prof", "▁st", "▁[", "ory", "im", "ent",
	"act", "ack", "ab", "▁tools", "▁se", "▁profit", "▁name", "▁ma", "ummar",
	"story", "ont", "ith", "eps", "ask", "ackstory", "▁wh", "▁task", "▁seas",
	"▁season", "▁role", "▁max", "▁backstory", "▁>", "▁>-", "ut", "ul", "ud",
	"steps", "performance", "ort", "hare", "gion", "ers", "ding", "▁seasonal",
	"▁region", "▁fin", "▁P", "▁,", "xt", "oreca", "orecast", "ite", "ive",
	"ist", "ig", "get", "ateg", "▁profitab", "▁profitabil", "▁profitability",
	"▁finding", "▁cont", "▁h", "▁W", "▁T", "▁M", "▁E", "▁D", "▁B", "▁3", "▁.",
	"ur", "ost", "nd", "la", "eri", "ect", "ext", "▁str", "▁ex", "▁com", "▁An",
	"ummary", "udget", "us", "up", "pa", "iz", "ge", "▁tr", "▁res", "▁most",
	"▁findings", "▁comp", "▁ch", "▁budget", "▁r", "ven", "urn", "ult", "ust",
	"ue", "ter", "stre", "stream", "paig", "paign", "oc", "id", "ic", "ia",
	"aset", "ampaign", "alyst", "all", "ales", "ad", "▁seasonality", "▁share",
	"▁regional", "▁hand", "▁dec", "▁brands", "▁analy", "▁Sp", "▁up",
	"▁upstream", "▁k", "▁O", "▁J", "▁F", "▁(", "venue", "sw", "ss", "sis",
	"rite", "les", "ile", "ial", "ialist", "etit", "ecialist", "ew", "el",
	"▁tre", "▁trend", "▁summary", "▁sales", "▁result", "▁revenue", "▁run",
	"▁num", "▁numb", "▁no", "▁handles", "▁foc", "▁focus", "▁eac", "▁each",
	"▁dataset", "▁context", "▁content", "▁competit", "▁char", "▁charact",
	"▁characters", "▁campaign", "▁bever", "▁bevera", "▁beverage", "▁Wat",
	"▁Water", "▁Res", "▁le", "▁it", "▁U", "▁Q", "▁N", "▁I", "▁G", "▁<", "▁2",
	"ross", "ri", "rateg", "rategist", "qu", "put", "out", "one", "ow", "over",
	"op", "lan", "ime", "end", "ence", "ation", "action", "ap", "▁wher",
	"▁where", "▁what", "▁trust", "▁tot", "▁total", "▁time", "▁strateg",
	"▁strategy", "▁siz", "▁sh", "▁performance", "▁one", "▁over", "▁ob", "▁obj",
	"▁object", "▁noth", "▁nothing", "▁its", "▁into", "▁goals", "▁forecast",
	"▁exp", "▁el", "▁else", "▁cross", "▁call", "▁arou", "▁around", "▁analysis",
	"▁To", "▁Specialist", "▁Sou", "▁South", "▁JS", "▁JSO", "▁JSON", "▁Forecast",
	"▁En", "▁Brand", "▁Analyst", "▁Am", "▁Ameri", "▁America", "▁un", "▁qu",
	"▁out", "▁K", "▁:", "very", "vi", "view", "ull", "udi", "ure", "ta", "swer",
	"seri", "series", "sect", "section", "sectional", "rofile", "rop", "reat",
	"port", "per", "overview", "ors", "opy", "ose", "lain", "izer", "ina",
	"ies", "gin", "ess", "ear", "ds", "churn", "analyst", "ade", "ay", ">\",\"",
	"):", "\":\"<", "▁whi", "▁which", "▁when", "▁write", "▁store", "▁state",
	"▁size", "▁short", "▁sup", "▁support", "▁say", "▁row", "▁regions", "▁rest",
	"▁po", "▁plan", "▁pat", "▁patter", "▁pattern", "▁only", "▁numbers",
	"▁number", "▁ne", "▁never", "▁mom", "▁moment", "▁momentum", "▁mess",
	"▁messa", "▁messag", "▁messages", "▁mar", "▁margin", "▁lef", "▁left", "▁kp",
	"▁kpi", "▁ke", "▁key", "▁inter", "▁interval", "▁intervals", "▁gro",
	"▁groun", "▁ground", "▁full", "▁fact", "▁explain", "▁exec", "▁execut",
	"▁executive", "▁exact", "▁exactly", "▁every", "▁ev", "▁evid", "▁evidence",
	"▁decl", "▁declin", "▁decline", "▁decis", "▁decision", "▁done",
	"▁competitive", "▁chan", "▁chann", "▁channel", "▁con",
}
