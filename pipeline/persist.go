package pipeline

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/sql/store"
)

// saver stores a Runner's runs, steps, events and token usage in the order they
// happen, off the runs' locks and off the scheduler's critical path: one goroutine
// writes whatever accumulated as one transaction, so a burst of events costs one
// commit. [saver.flush] waits until everything queued so far is stored.
type saver struct {
	st  *store.Store
	log func(msg string, args ...any)

	mu    sync.Mutex // guards queue, busy and idle
	queue []write
	busy  bool          // a goroutine is writing
	idle  chan struct{} // closed when the queue is empty and nothing is being written
}

// write is one queued record; exactly one field is set.
type write struct {
	run    *Run
	step   *stepWrite
	event  *Event
	tokens *store.TokenRecord
}

// stepWrite is a step record of a run.
type stepWrite struct {
	runID string
	rec   stepRecord
}

func newSaver(st *store.Store, log func(string, ...any)) *saver {
	idle := make(chan struct{})
	close(idle)
	return &saver{st: st, log: log, idle: idle}
}

func (s *saver) run(r Run)                       { s.add(write{run: &r}) }
func (s *saver) step(runID string, r stepRecord) { s.add(write{step: &stepWrite{runID, r}}) }
func (s *saver) event(ev Event)                  { s.add(write{event: &ev}) }
func (s *saver) tokens(t store.TokenRecord)      { s.add(write{tokens: &t}) }

// add queues w and starts a writer goroutine when none runs.
func (s *saver) add(w write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, w)
	if !s.busy {
		s.busy, s.idle = true, make(chan struct{})
		go s.drain()
	}
}

// drain writes batches until the queue is empty.
func (s *saver) drain() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.busy = false
			close(s.idle)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		// Storage outlives any request: records are written even when a run is canceled.
		if err := s.st.WriteRunBatch(context.Background(), encodeBatch(batch, s.log)); err != nil {
			s.log("store run records", "records", len(batch), "err", err)
		}
	}
}

// encodeBatch turns queued writes into the store's records.
func encodeBatch(ws []write, log func(string, ...any)) store.RunBatch {
	var b store.RunBatch
	for _, w := range ws {
		switch {
		case w.run != nil:
			data, err := json.Marshal(w.run)
			if err != nil {
				log("encode run", "run", w.run.ID, "err", err)
				continue
			}
			b.Runs = append(b.Runs, store.RunRecord{ID: w.run.ID, Status: string(w.run.Status),
				Dataset: w.run.Dataset, Pipeline: w.run.Pipeline.Name, CreatedAt: w.run.CreatedAt,
				FinishedAt: w.run.FinishedAt, Data: data})
		case w.step != nil:
			st := w.step.rec.State
			data, _ := json.Marshal(w.step.rec) // plain data: cannot fail
			b.Steps = append(b.Steps, store.StepRecord{RunID: w.step.runID, StepID: st.ID,
				Status: string(st.Status), MemoKey: st.MemoKey, UpdatedAt: time.Now(), Data: data})
		case w.event != nil:
			data, err := json.Marshal(w.event)
			if err != nil {
				log("encode event", "run", w.event.RunID, "seq", w.event.Seq, "err", err)
			}
			b.Events = append(b.Events, store.EventRecord{RunID: w.event.RunID, Seq: w.event.Seq,
				Type: string(w.event.Type), Time: w.event.Time, Data: data})
		case w.tokens != nil:
			b.Tokens = append(b.Tokens, *w.tokens)
		}
	}
	return b
}

// flush waits until every record queued before the call is stored, or ctx ends.
func (s *saver) flush(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
