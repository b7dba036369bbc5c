package storage

import "context"

// Sync implements Log: group commit. One caller at a time runs a round
// (write pending records, one fsync); callers arriving meanwhile wait for
// it and, if their entries came too late for it, one of them runs the next
// round, which covers all of them.
func (l *fileLog) Sync(ctx context.Context) error {
	l.mu.Lock()
	target := l.appendSeq
	err := l.usableLocked()
	l.mu.Unlock()
	if err != nil {
		return err
	}
	for {
		l.smu.Lock()
		if l.syncedSeq >= target {
			l.smu.Unlock()
			return nil
		}
		if l.syncing {
			done := l.syncDone
			l.smu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := ctx.Err(); err != nil {
			l.smu.Unlock()
			return err
		}
		l.syncing = true
		l.smu.Unlock()
		seq, err := l.syncRound()
		l.endRound(seq)
		if err != nil {
			return err
		}
	}
}

func (l *fileLog) endRound(seq uint64) {
	l.smu.Lock()
	l.syncing = false
	if seq > l.syncedSeq {
		l.syncedSeq = seq
	}
	close(l.syncDone)
	l.syncDone = make(chan struct{})
	l.smu.Unlock()
}

func (l *fileLog) syncRound() (uint64, error) {
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return 0, err
	}
	if err := l.flushLocked(); err != nil {
		l.mu.Unlock()
		return 0, err
	}
	seq, f := l.appendSeq, l.active().f
	l.mu.Unlock()
	// Earlier segments were fsynced when they were sealed; a roll never
	// closes the file of a sealed segment, so f stays valid here.
	err := f.DataSync()
	l.fsyncs.Add(1)
	if err != nil {
		l.mu.Lock()
		err = l.fail(err)
		l.mu.Unlock()
		return 0, err
	}
	return seq, nil
}

// exclusive runs fn under mu with no sync round in flight. If fn reports
// that everything appended is durable, waiting Sync callers are released.
func (l *fileLog) exclusive(fn func() (durable bool, err error)) error {
	for {
		l.smu.Lock()
		if !l.syncing {
			l.syncing = true
			l.smu.Unlock()
			break
		}
		done := l.syncDone
		l.smu.Unlock()
		<-done
	}
	l.mu.Lock()
	for l.readers > 0 {
		l.readersDone.Wait()
	}
	durable, err := fn()
	var seq uint64
	if durable && err == nil {
		seq = l.appendSeq
	}
	l.mu.Unlock()
	l.endRound(seq)
	return err
}
