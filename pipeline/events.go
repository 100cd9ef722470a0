package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// emitLocked numbers ev, publishes it to watchers and queues it for storage.
// x.mu must be held.
func (x *execution) emitLocked(ctx context.Context, ev Event) Event {
	ev = x.numberLocked(ev)
	x.publishLocked(ev)
	x.r.writer.add(ev)
	return ev
}

// numberLocked gives ev the run's next sequence number and the current time.
func (x *execution) numberLocked(ev Event) Event {
	ev.Seq = int64(len(x.events) + 1)
	ev.RunID = x.run.ID
	ev.Time = time.Now().UTC()
	return ev
}

// publishLocked appends a numbered event to the run's log and wakes watchers.
func (x *execution) publishLocked(ev Event) {
	x.events = append(x.events, ev)
	close(x.changed)
	x.changed = make(chan struct{})
}

// emit is emitLocked for callers that do not hold x.mu.
func (x *execution) emit(ctx context.Context, ev Event) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.emitLocked(ctx, ev)
}

// watch calls fn with every event of x with Seq > afterSeq, then follows new ones
// until run_finished has been delivered or ctx ends.
func (x *execution) watch(ctx context.Context, afterSeq int64, fn func(Event) error) error {
	next := max(afterSeq, 0) // index of the first event not yet delivered
	for {
		x.mu.Lock()
		var batch []Event
		if next < int64(len(x.events)) {
			batch = x.events[next:len(x.events):len(x.events)]
		}
		changed := x.changed
		finished := len(x.events) > 0 && x.events[len(x.events)-1].Type == EventRunFinished
		x.mu.Unlock()
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				return err
			}
			next = ev.Seq
			if ev.Type == EventRunFinished {
				return nil
			}
		}
		if finished {
			return nil // afterSeq was already past run_finished
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// eventWriter stores events in the order they were emitted, off the runs' locks,
// batching whatever accumulated while the previous batch was written.
type eventWriter struct {
	st    *store.Store
	log   func(msg string, args ...any)
	mu    sync.Mutex // guards queue, busy and idle
	queue []Event
	busy  bool          // a goroutine is writing
	idle  chan struct{} // closed when the queue drains; replaced when work arrives
}

func newEventWriter(st *store.Store, log func(string, ...any)) *eventWriter {
	idle := make(chan struct{})
	close(idle)
	return &eventWriter{st: st, log: log, idle: idle}
}

// add queues ev and starts a writer goroutine when none runs.
func (w *eventWriter) add(ev Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, ev)
	if !w.busy {
		w.busy, w.idle = true, make(chan struct{})
		go w.drain()
	}
}

func (w *eventWriter) drain() {
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		if len(batch) == 0 {
			w.busy = false
			close(w.idle)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		w.write(batch)
	}
}

func (w *eventWriter) write(batch []Event) {
	if err := w.store(context.Background(), batch...); err != nil {
		w.log("store events", "err", err)
	}
}

// store writes events now. Storage outlives any request: events are written even
// when a run is canceled, so callers pass a context without cancellation.
func (w *eventWriter) store(ctx context.Context, events ...Event) error {
	recs := make([]store.EventRecord, len(events))
	for i, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event %d of run %s: %w", ev.Seq, ev.RunID, err)
		}
		recs[i] = store.EventRecord{RunID: ev.RunID, Seq: ev.Seq, Type: string(ev.Type), Time: ev.Time, Data: data}
	}
	return w.st.AppendEvents(ctx, recs...)
}

// flush waits until every queued event is stored, or ctx ends.
func (w *eventWriter) flush(ctx context.Context) error {
	w.mu.Lock()
	idle := w.idle
	w.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// storedEvents replays the stored events of a run that is not active in this process.
func (r *Runner) storedEvents(ctx context.Context, runID string, afterSeq int64, fn func(Event) error) error {
	if _, err := r.st.Run(ctx, runID); err != nil {
		return r.notFound(runID, err)
	}
	recs, err := r.st.Events(ctx, runID, afterSeq)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		var ev Event
		if err := json.Unmarshal(rec.Data, &ev); err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}
