package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
)

// runLog owns the persistence of runs, steps and events: the only writer and
// reader of the store's run tables, with one batched write path. A run record
// is written when the run starts and when it ends, a step record once when the
// step is final, and events are appended in batches: one goroutine writes
// whatever accumulated as one transaction, off the runs' locks and off the
// scheduler's critical path, on a thread of lower CPU priority ([lowPriority]).
// The writer starts writeDelay after the first record it finds (at once when
// someone flushes), so that DuckDB does not compete for the cores with the
// burst of work that queued the record (steps starting or finishing together).
// [runLog.flush] waits until everything queued before it is stored, not for
// records queued later: a caller waits at most for the batch in flight and the
// one holding its records. [runLog.admit] holds new runs back while more than
// maxBacklog records wait.
type runLog struct {
	st  *store.Store
	log func(msg string, args ...any)
	// maxBacklog bounds the records queued and not yet stored that a new run
	// may find: runs that finish faster than storage keeps up (steps without
	// LLM calls, back to back) would otherwise queue without limit, and so
	// would the memory and the time Close takes to store them.
	maxBacklog int64
	writeDelay time.Duration
	hurry      chan struct{} // a flush waits: the writer starts without its delay

	mu      sync.Mutex // guards queue, busy, queued, stored and changed
	queue   []write
	busy    bool          // a goroutine is writing
	queued  int64         // records queued since the start
	stored  int64         // records written (or failed) since the start, in queue order
	changed chan struct{} // closed and replaced whenever stored grows

	// begun holds the runs whose first record a batch has carried and whose
	// final one none has yet: their next record updates the stored one. Only
	// the writing goroutine (one at a time) uses it.
	begun map[string]bool
}

// stepRecord is what is stored for a step: its state plus what dependents and a
// memoized re-run need.
type stepRecord struct {
	State    StepState       `json:"state"`
	Summary  string          `json:"summary,omitempty"`
	Findings []agent.Finding `json:"findings,omitempty"`
}

// write is one queued record; exactly one of run, step, event and result is set.
type write struct {
	run    *Run
	stored bool // run: its record is stored already (a run recovered from an earlier process)
	step   *stepWrite
	event  *Event
	result *store.Pending
}

// stepWrite is a step record of a run.
type stepWrite struct {
	runID string
	rec   stepRecord
}

func newRunLog(st *store.Store, log func(string, ...any)) *runLog {
	return &runLog{st: st, log: log, maxBacklog: defaultMaxBacklog, writeDelay: defaultWriteDelay,
		hurry: make(chan struct{}, 1), changed: make(chan struct{}), begun: map[string]bool{}}
}

// defaultWriteDelay is how long records wait for the writer to start. Here
// (BenchmarkStepOverhead, this and the previous writer taking turns) 1 ms
// lowered wall ÷ critical path at 20 ms per call by 0.002–0.005 on the fan8
// DAG in 6 of 7 rounds, and runs back to back at 0 ms took 2.45 ms each
// instead of 2.50–2.96 (storage-bound since Start waits for a backlog).
const defaultWriteDelay = time.Millisecond

// defaultMaxBacklog is the records a new run may find waiting for storage:
// about 150 runs of nine steps, half a second to a second of the writer's work here.
const defaultMaxBacklog = 10000

// admit waits until at most maxBacklog records wait for storage, or ctx ends.
func (l *runLog) admit(ctx context.Context) error {
	var waiting int64
	err := l.waitFor(ctx, func() bool {
		waiting = l.queued - l.stored
		return waiting <= l.maxBacklog
	})
	if err != nil {
		return fmt.Errorf("pipeline: the run was not started: %d records of earlier runs are waiting to be stored (a run starts when at most %d are); try again shortly: %w",
			waiting, l.maxBacklog, err)
	}
	return nil
}

func (l *runLog) run(r Run)                       { l.add(write{run: &r}) }
func (l *runLog) storedRun(r Run)                 { l.add(write{run: &r, stored: true}) }
func (l *runLog) step(runID string, r stepRecord) { l.add(write{step: &stepWrite{runID, r}}) }
func (l *runLog) event(ev Event)                  { l.add(write{event: &ev}) }

// result queues a result saved with store.SaveRowsDeferred: it is written
// with (or before) the step record that cites it.
func (l *runLog) result(p *store.Pending) { l.add(write{result: p}) }

// add queues w and starts a writer goroutine when none runs.
func (l *runLog) add(w write) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = append(l.queue, w)
	l.queued++
	if !l.busy {
		l.busy = true
		go l.write()
	}
}

// write waits writeDelay, or until a flush hurries it, then drains the queue.
func (l *runLog) write() {
	t := time.NewTimer(l.writeDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.hurry:
	}
	lowPriority(l.drain)
}

// drain writes batches until the queue is empty.
func (l *runLog) drain() {
	for {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		if len(batch) == 0 {
			l.busy = false
			select { // everything queued is stored: a flush's hurry is answered
			case <-l.hurry:
			default:
			}
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		// Storage outlives any request: records are written even when a run is canceled.
		if err := l.st.WriteRunBatch(context.Background(), l.encode(batch)); err != nil {
			l.log("store run records", "records", len(batch), "err", err)
		}
		l.mu.Lock()
		l.stored += int64(len(batch))
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
}

// encode turns queued writes into the store's records. An event that
// repeats a record of the same batch (see [shared]) is stored without the copy.
func (l *runLog) encode(ws []write) store.RunBatch {
	var b store.RunBatch
	now := time.Now()
	sh := shared{runs: map[string]*Run{}, steps: map[string]*StepState{}}
	for _, w := range ws {
		switch {
		case w.run != nil:
			data, err := json.Marshal(w.run)
			if err != nil {
				l.log("encode run", "run", w.run.ID, "err", err)
				continue
			}
			sh.runs[w.run.ID] = w.run
			b.Runs = append(b.Runs, store.RunRecord{Tenant: w.run.Tenant, ID: w.run.ID, Status: string(w.run.Status),
				Dataset: w.run.Dataset, Pipeline: w.run.Pipeline.Name, CreatedAt: w.run.CreatedAt,
				FinishedAt: w.run.FinishedAt, Data: data, Stored: w.stored || l.begun[w.run.ID]})
		case w.step != nil:
			st := w.step.rec.State
			data, _ := json.Marshal(w.step.rec) // plain data: cannot fail
			sh.steps[w.step.runID+"/"+st.ID] = &w.step.rec.State
			b.Steps = append(b.Steps, store.StepRecord{RunID: w.step.runID, StepID: st.ID,
				Status: string(st.Status), MemoKey: st.MemoKey, UpdatedAt: now, Data: data})
		case w.result != nil:
			b.Results = append(b.Results, w.result)
		}
	}
	for _, w := range ws {
		if w.event == nil {
			continue
		}
		data, err := json.Marshal(sh.strip(*w.event))
		if err != nil {
			l.log("encode event", "run", w.event.RunID, "seq", w.event.Seq, "err", err)
		}
		b.Events = append(b.Events, store.EventRecord{RunID: w.event.RunID, Seq: w.event.Seq,
			Type: string(w.event.Type), Time: w.event.Time, Data: data})
	}
	for _, r := range b.Runs {
		if RunStatus(r.Status).Final() {
			delete(l.begun, r.ID)
		} else {
			l.begun[r.ID] = true
		}
	}
	return b
}

// shared holds the final records a batch stores — run records by
// run id, step states by run id + "/" + step id, the last of each — for the
// events of the batch that repeat them. run_finished carries the final run
// record and step_finished, step_failed and step_skipped the step's final
// state; the run log writes both records with the event, and never rewrites a
// final run or step. Stored in the same transaction as the record, such an
// event leaves its copy out and [runLog.events] puts the record back.
type shared struct {
	runs  map[string]*Run
	steps map[string]*StepState
}

// strip returns ev without the copy of a record the batch stores, when the
// copy equals the record (so its JSON is the record's byte for byte); ev
// itself otherwise.
func (sh shared) strip(ev Event) Event {
	switch {
	case ev.Type == EventRunFinished && ev.Run != nil:
		if r := sh.runs[ev.RunID]; r != nil && reflect.DeepEqual(*ev.Run, *r) {
			ev.Run = nil
		}
	case finalStepEvent(ev.Type) && ev.Step != nil:
		if st := sh.steps[ev.RunID+"/"+ev.Step.ID]; st != nil && reflect.DeepEqual(*ev.Step, *st) {
			ev.Step = nil
		}
	}
	return ev
}

// finalStepEvent reports whether events of type t carry a step's final state.
func finalStepEvent(t EventType) bool {
	return t == EventStepFinished || t == EventStepFailed || t == EventStepSkipped
}

// flush waits until every record queued before the call is stored, or ctx ends.
func (l *runLog) flush(ctx context.Context) error {
	select {
	case l.hurry <- struct{}{}:
	default: // one is pending already
	}
	l.mu.Lock()
	want := l.queued
	l.mu.Unlock()
	return l.waitFor(ctx, func() bool { return l.stored >= want })
}

// waitFor waits until done, called with mu held, reports true, or ctx ends.
func (l *runLog) waitFor(ctx context.Context, done func() bool) error {
	l.mu.Lock()
	for !done() {
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
		l.mu.Lock()
	}
	l.mu.Unlock()
	return nil
}

// load reads a stored run with its stored step states; an unknown id wraps ErrNotFound.
func (l *runLog) load(ctx context.Context, id string) (Run, error) {
	rec, err := l.st.Run(ctx, id)
	if err != nil {
		return Run{}, notFound(id, err)
	}
	run, err := decodeRun(rec)
	if err != nil {
		return Run{}, err
	}
	steps, err := l.stepStates(ctx, id)
	if err != nil {
		return Run{}, err
	}
	for i := range run.Steps {
		if st, ok := steps[run.Steps[i].ID]; ok {
			run.Steps[i] = st
		}
	}
	return run, nil
}

// list returns up to limit stored runs (all when limit <= 0), newest first, as
// their run records say; with statuses set, only runs in one of them.
func (l *runLog) list(ctx context.Context, limit int, statuses ...RunStatus) ([]Run, error) {
	ss := make([]string, len(statuses))
	for i, s := range statuses {
		ss[i] = string(s)
	}
	recs, err := l.st.Runs(ctx, limit, ss...)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(recs))
	for _, rec := range recs {
		run, err := decodeRun(rec)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// events calls fn with the stored events of run runID with Seq > afterSeq,
// each as it was emitted: an event stored without its copy of the run or a
// step (see [shared]) gets it back from the stored record.
func (l *runLog) events(ctx context.Context, runID string, afterSeq int64, fn func(Event) error) error {
	rec, err := l.st.Run(ctx, runID)
	if err != nil {
		return notFound(runID, err)
	}
	recs, err := l.st.Events(ctx, runID, afterSeq)
	if err != nil {
		return err
	}
	h := hydrator{l: l, run: rec}
	for _, rec := range recs {
		var ev Event
		if err := json.Unmarshal(rec.Data, &ev); err != nil {
			return fmt.Errorf("pipeline: decode event %d of run %q: %w", rec.Seq, runID, err)
		}
		if err := h.fill(ctx, &ev); err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// hydrator puts back the records that events of one run were stored without,
// reading the run's steps once, when the first such step event needs them.
type hydrator struct {
	l     *runLog
	run   store.RunRecord
	steps map[string]StepState // nil until read
}

// fill gives ev back the run or step state it was stored without.
func (h *hydrator) fill(ctx context.Context, ev *Event) error {
	switch {
	case ev.Type == EventRunFinished && ev.Run == nil:
		run, err := decodeRun(h.run)
		if err != nil {
			return err
		}
		ev.Run = &run
	case finalStepEvent(ev.Type) && ev.Step == nil:
		if h.steps == nil {
			steps, err := h.l.stepStates(ctx, h.run.ID)
			if err != nil {
				return err
			}
			h.steps = steps
		}
		st, ok := h.steps[ev.StepID]
		if !ok {
			return fmt.Errorf("pipeline: event %d of run %q: step %q is not stored", ev.Seq, h.run.ID, ev.StepID)
		}
		ev.Step = &st
	}
	return nil
}

// stepStates returns the stored step states of a run by step id.
func (l *runLog) stepStates(ctx context.Context, runID string) (map[string]StepState, error) {
	recs, err := l.st.Steps(ctx, runID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]StepState, len(recs))
	for _, s := range recs {
		var sr stepRecord
		if err := json.Unmarshal(s.Data, &sr); err != nil {
			return nil, fmt.Errorf("pipeline: decode step %q of run %q: %w", s.StepID, runID, err)
		}
		out[sr.State.ID] = sr.State
	}
	return out, nil
}

// lastSeq returns the highest stored event number of a run.
func (l *runLog) lastSeq(ctx context.Context, runID string) (int64, error) {
	return l.st.LastEventSeq(ctx, runID)
}

// memo returns the newest stored successful step with memo key key, if any.
func (l *runLog) memo(ctx context.Context, key string) (stepRecord, bool, error) {
	rec, err := l.st.MemoStep(ctx, key, string(StepSucceeded), string(StepCached))
	if errors.Is(err, store.ErrNotFound) {
		return stepRecord{}, false, nil
	}
	if err != nil {
		return stepRecord{}, false, err
	}
	var sr stepRecord
	if err := json.Unmarshal(rec.Data, &sr); err != nil {
		return stepRecord{}, false, nil // an unreadable record is no memo
	}
	return sr, true, nil
}

// decodeRun decodes a stored run.
func decodeRun(rec store.RunRecord) (Run, error) {
	var run Run
	if err := json.Unmarshal(rec.Data, &run); err != nil {
		return Run{}, fmt.Errorf("pipeline: decode run %q: %w", rec.ID, err)
	}
	return run, nil
}

// notFound maps the store's not-found error of a run to ErrNotFound.
func notFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	return err
}

// persistCtx is for work that must happen even when the run is canceled.
func persistCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
