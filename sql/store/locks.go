package store

import "sync"

// nameLocks hands out one mutex per dataset name, so that a load, drop or
// role change of one dataset never waits for another dataset's.
type nameLocks struct {
	mu    sync.Mutex // guards locks
	locks map[string]*nameLock
}

type nameLock struct {
	sync.Mutex
	refs int // holders and waiters; the entry goes when it drops to 0
}

// lock locks name and returns its unlock.
func (l *nameLocks) lock(name string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*nameLock{}
	}
	e := l.locks[name]
	if e == nil {
		e = &nameLock{}
		l.locks[name] = e
	}
	e.refs++
	l.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.locks, name)
		}
		l.mu.Unlock()
	}
}
