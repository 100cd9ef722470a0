package pipeline

import (
	"context"
	"encoding/json"
	"time"
)

// emitLocked numbers ev, publishes it to watchers and queues it for storage.
// x.mu must be held.
func (x *execution) emitLocked(ev Event) Event {
	ev = x.numberLocked(ev)
	x.publishLocked(ev)
	x.r.saver.event(ev)
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
func (x *execution) emit(ev Event) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.emitLocked(ev)
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
