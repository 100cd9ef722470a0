package mrswarm

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Start starts a run and returns its id and stages at once; the run goes on
// in the server. Follow it with [Client.Watch].
func (c *Client) Start(ctx context.Context, req *mrswarmv1.StartRunRequest) (*mrswarmv1.StartRunResponse, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.StartRun(ctx, req)
}

// Run starts a run and yields its events in order, from run_started to
// run_finished. The run is started when the iteration begins; a failed start
// is yielded as the only error. See [Client.Watch] for how the stream ends.
func (c *Client) Run(ctx context.Context, req *mrswarmv1.StartRunRequest) iter.Seq2[*mrswarmv1.Event, error] {
	return func(yield func(*mrswarmv1.Event, error) bool) {
		resp, err := c.Start(ctx, req)
		if err != nil {
			yield(nil, err)
			return
		}
		for ev, err := range c.Watch(ctx, resp.GetRunId(), 0) {
			if !yield(ev, err) {
				return
			}
		}
	}
}

// Watch yields the events of a run with seq > afterSeq: first those already
// recorded, then live ones. It ends after the run_finished event, when the
// run is over without one (e.g. interrupted by a server restart), at the
// first non-transient error, or when ctx is done (yielding ctx's error).
//
// When the stream breaks before run_finished (the connection dropped, the
// server restarted: Unavailable or an early end of stream), Watch re-attaches
// from the last sequence number it yielded, so events are neither lost nor
// repeated.
func (c *Client) Watch(ctx context.Context, runID string, afterSeq int64) iter.Seq2[*mrswarmv1.Event, error] {
	return func(yield func(*mrswarmv1.Event, error) bool) {
		w := watcher{c: c, runID: runID, last: afterSeq, yield: yield}
		w.loop(ctx)
	}
}

type watcher struct {
	c     *Client
	runID string
	last  int64 // seq of the last event yielded
	yield func(*mrswarmv1.Event, error) bool
}

func (w *watcher) loop(ctx context.Context) {
	failures := 0
	wait := w.c.cfg.backoff
	for {
		progressed, done, err := w.attach(ctx)
		if done {
			return
		}
		if ctx.Err() != nil {
			w.yield(nil, ctx.Err())
			return
		}
		if progressed {
			failures, wait = 0, w.c.cfg.backoff
		}
		if errors.Is(err, io.EOF) && w.finished(ctx) {
			w.drain(ctx)
			return
		}
		failures++
		if !transient(err) || failures > w.c.cfg.maxReattach {
			w.yield(nil, err)
			return
		}
		if !sleep(ctx, wait) {
			w.yield(nil, ctx.Err())
			return
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// attach opens one WatchRun stream and yields its events. done reports that
// the watch is over (run_finished seen or the consumer stopped).
func (w *watcher) attach(ctx context.Context) (progressed, done bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.c.pipelines.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: w.runID, AfterSeq: w.last})
	if err != nil {
		return false, false, err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			return progressed, false, err
		}
		if ev.GetSeq() <= w.last {
			continue
		}
		progressed = true
		w.last = ev.GetSeq()
		if !w.yield(ev, nil) || ev.GetType() == mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED {
			return true, true, nil
		}
	}
}

// drain attaches once more to a run that is over, to deliver any events
// recorded after the last one yielded.
func (w *watcher) drain(ctx context.Context) {
	if _, done, err := w.attach(ctx); !done && !errors.Is(err, io.EOF) {
		w.yield(nil, err)
	}
}

// finished reports whether the run is over although its stream ended without
// run_finished (a run interrupted by a server crash has no such event).
func (w *watcher) finished(ctx context.Context) bool {
	run, err := w.c.GetRun(ctx, w.runID)
	if err != nil {
		return false
	}
	switch run.GetStatus() {
	case mrswarmv1.RunStatus_RUN_STATUS_PENDING, mrswarmv1.RunStatus_RUN_STATUS_RUNNING, mrswarmv1.RunStatus_RUN_STATUS_UNSPECIFIED:
		return false
	}
	return true
}

// transient reports whether a broken event stream is worth re-attaching.
func transient(err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Aborted:
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// GetRun returns a run with its steps, tokens and profile.
func (c *Client) GetRun(ctx context.Context, runID string) (*mrswarmv1.Run, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: runID})
}

// Runs lists the most recent runs (limit 0 means the server default).
func (c *Client) Runs(ctx context.Context, limit int) ([]*mrswarmv1.Run, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	resp, err := c.pipelines.ListRuns(ctx, &mrswarmv1.ListRunsRequest{Limit: int32(limit)})
	return resp.GetRuns(), err
}

// Cancel stops a run, including its in-flight LLM calls.
func (c *Client) Cancel(ctx context.Context, runID string) (*mrswarmv1.Run, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.CancelRun(ctx, &mrswarmv1.CancelRunRequest{RunId: runID})
}

// Report returns the markdown report of a finished run and its handle.
func (c *Client) Report(ctx context.Context, runID string) (*mrswarmv1.RunReport, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: runID})
}

// ReportHTML returns a finished run's report as one self-contained HTML
// document (RunReport.Html): inline CSS and SVG charts, nothing loaded from
// elsewhere, print-friendly.
func (c *Client) ReportHTML(ctx context.Context, runID string) (*mrswarmv1.RunReport, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: runID, Format: mrswarmv1.ReportFormat_REPORT_FORMAT_HTML})
}

// Presets lists the built-in pipelines.
func (c *Client) Presets(ctx context.Context) ([]*mrswarmv1.Pipeline, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	resp, err := c.pipelines.ListPresets(ctx, &mrswarmv1.ListPresetsRequest{})
	return resp.GetPresets(), err
}

// Validate checks a pipeline against a dataset and returns its stages.
func (c *Client) Validate(ctx context.Context, req *mrswarmv1.ValidatePipelineRequest) (*mrswarmv1.ValidatePipelineResponse, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.pipelines.ValidatePipeline(ctx, req)
}
