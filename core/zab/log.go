package zab

import "sort"

// zlog is the in-memory history of a peer: a snapshot point (base) and the
// entries after it. It also tracks what was already handed to the driver,
// so that a Ready carries exactly the changes the durable log needs.
type zlog struct {
	base    Zxid
	entries []Entry
	// handed is how many leading entries the driver has been given (in a
	// Ready) and still match this history.
	handed int
	// pendingTrunc/truncAfter: the driver's log must be truncated after
	// truncAfter before appending entries[handed:].
	pendingTrunc bool
	truncAfter   Zxid
	// pendingSnap is a snapshot to install (replaces the driver's log).
	pendingSnap *Snapshot
}

func (l *zlog) last() Zxid {
	if n := len(l.entries); n > 0 {
		return l.entries[n-1].Zxid
	}
	return l.base
}

// index returns the position of z in entries (-1 for base) and whether z is
// in the history.
func (l *zlog) index(z Zxid) (int, bool) {
	if z == l.base {
		return -1, true
	}
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].Zxid >= z })
	return i, i < len(l.entries) && l.entries[i].Zxid == z
}

func (l *zlog) has(z Zxid) bool { _, ok := l.index(z); return ok }

// floor returns the largest zxid in the history (base included) that is
// <= z, and false if even base is above z.
func (l *zlog) floor(z Zxid) (Zxid, bool) {
	if z < l.base {
		return 0, false
	}
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].Zxid > z })
	if i == 0 {
		return l.base, true
	}
	return l.entries[i-1].Zxid, true
}

// between returns the entries with zxid in (from, to]; from must be in the history.
func (l *zlog) between(from, to Zxid) []Entry {
	i, _ := l.index(from)
	j := sort.Search(len(l.entries), func(k int) bool { return l.entries[k].Zxid > to })
	if i+1 > j {
		return nil
	}
	return l.entries[i+1 : j]
}

func (l *zlog) entry(z Zxid) (Entry, bool) {
	i, ok := l.index(z)
	if !ok || i < 0 {
		return Entry{}, false
	}
	return l.entries[i], true
}

func (l *zlog) append(e Entry) { l.entries = append(l.entries, e) }

// truncate drops every entry after z (z must be in the history).
func (l *zlog) truncate(z Zxid) {
	i, _ := l.index(z)
	keep := i + 1
	if keep >= len(l.entries) {
		return
	}
	clear(l.entries[keep:])
	l.entries = l.entries[:keep]
	if keep < l.handed {
		l.handed = keep
		if l.pendingSnap == nil {
			if !l.pendingTrunc || z < l.truncAfter {
				l.truncAfter = z
			}
			l.pendingTrunc = true
		}
	}
}

// install replaces the history by a snapshot.
func (l *zlog) install(s Snapshot) {
	clear(l.entries)
	l.entries = l.entries[:0]
	l.base = s.Zxid
	l.handed = 0
	l.pendingTrunc = false
	l.pendingSnap = &s
}

// compact forgets entries up to z (which the driver has in a snapshot).
func (l *zlog) compact(z Zxid) {
	i, ok := l.index(z)
	if !ok || i < 0 {
		return
	}
	n := i + 1
	l.entries = append(l.entries[:0:0], l.entries[n:]...)
	l.base = z
	l.handed -= n
	if l.handed < 0 {
		l.handed = 0
	}
}
