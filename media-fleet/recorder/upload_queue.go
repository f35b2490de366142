package recorder

import "sync"

// uploadQueue runs a capture's S3 work one job at a time, in order: a chunk's upload, then the manifest that
// lists it; an exclusion's manifest, then the deletes. Unbounded, so a slow S3 never stalls a track's reader
// (the chunks wait on local disk).
type uploadQueue struct {
	mu   sync.Mutex
	jobs []func()
	wake chan struct{}
}

func newUploadQueue() *uploadQueue {
	q := &uploadQueue{wake: make(chan struct{}, 1)}
	go q.work()
	return q
}

func (q *uploadQueue) add(job func()) {
	q.mu.Lock()
	q.jobs = append(q.jobs, job)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// flush waits until every job added before it has run.
func (q *uploadQueue) flush() {
	done := make(chan struct{})
	q.add(func() { close(done) })
	<-done
}

func (q *uploadQueue) work() {
	for range q.wake {
		for {
			q.mu.Lock()
			if len(q.jobs) == 0 {
				q.mu.Unlock()
				break
			}
			job := q.jobs[0]
			q.jobs = q.jobs[1:]
			q.mu.Unlock()
			job()
		}
	}
}
