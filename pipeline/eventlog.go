package pipeline

import (
	"context"
	"sync"
	"time"
)

// eventLog numbers one run's events, keeps them for watchers, passes each to
// the runner's hook and queues it for the run log. Its lock is its own:
// watchers never wait for the scheduler.
type eventLog struct {
	runID string
	save  func(Event) // queues an event for storage
	hook  func(Event) // the runner's observer (Config.OnEvent); nil: none

	mu      sync.Mutex // guards events and changed
	events  []Event    // events[k].Seq == k+1
	changed chan struct{}
}

func newEventLog(runID string, save, hook func(Event)) *eventLog {
	return &eventLog{runID: runID, save: save, hook: hook, changed: make(chan struct{})}
}

// emit numbers ev, passes it to the hook, publishes it to watchers and queues
// it for storage. The hook sees the run's events in order, each before any
// watcher does, so an observer has every event of a run by the time a
// watcher sees run_finished.
func (l *eventLog) emit(ev Event) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev = l.numberLocked(ev)
	if l.hook != nil {
		l.hook(ev)
	}
	l.publishLocked(ev)
	l.save(ev)
	return ev
}

// numberLocked gives ev the run's next sequence number and the current time.
func (l *eventLog) numberLocked(ev Event) Event {
	ev.Seq = int64(len(l.events) + 1)
	ev.RunID = l.runID
	ev.Time = time.Now().UTC()
	return ev
}

// publishLocked appends a numbered event to the log and wakes watchers.
func (l *eventLog) publishLocked(ev Event) {
	l.events = append(l.events, ev)
	close(l.changed)
	l.changed = make(chan struct{})
}

// watch calls fn with every event with Seq > afterSeq, then follows new ones
// until run_finished has been delivered or ctx ends.
func (l *eventLog) watch(ctx context.Context, afterSeq int64, fn func(Event) error) error {
	next := max(afterSeq, 0) // index of the first event not yet delivered
	for {
		l.mu.Lock()
		var batch []Event
		if next < int64(len(l.events)) {
			batch = l.events[next:len(l.events):len(l.events)]
		}
		changed := l.changed
		finished := len(l.events) > 0 && l.events[len(l.events)-1].Type == EventRunFinished
		l.mu.Unlock()
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
