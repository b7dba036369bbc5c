package server

import (
	"fmt"
	"slices"
	"strings"
)

// writeWatches writes wchs, wchc or wchp in ZooKeeper 3.8's formats
// (WatchCommand, WatchManager.toString and dumpWatches): wchs the totals,
// wchc each session as 0x<id> followed by its paths indented with a tab,
// wchp each path followed by its sessions' 0x<id> indented with a tab; a
// blank line ends each. ZooKeeper lists its data watches only and in hash
// order; zabkit lists data, child and persistent watches together, sorted
// (sessions by id, paths in byte order).
func (s *Server) writeWatches(b *strings.Builder, cmd string) {
	s.treeMu.RLock() // the driver may swap the tree when it installs a snapshot
	byPath := s.tree.WatchesByPath()
	byWatcher := s.tree.WatchesByWatcher()
	s.treeMu.RUnlock()
	switch cmd {
	case "wchs":
		total := 0
		for _, ws := range byPath {
			total += len(ws)
		}
		fmt.Fprintf(b, "%d connections watching %d paths\nTotal watches:%d\n", len(byWatcher), len(byPath), total)
	case "wchc":
		type entry struct {
			session int64
			paths   []string
		}
		var es []entry
		for w, ps := range byWatcher {
			if c, ok := w.(*conn); ok {
				es = append(es, entry{c.session.Load(), ps})
			}
		}
		slices.SortFunc(es, func(a, b entry) int { return compareSessions(a.session, b.session) })
		for _, e := range es {
			fmt.Fprintf(b, "0x%x\n", uint64(e.session))
			for _, p := range e.paths {
				fmt.Fprintf(b, "\t%s\n", p)
			}
		}
		b.WriteString("\n")
	case "wchp":
		paths := make([]string, 0, len(byPath))
		for p := range byPath {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			fmt.Fprintf(b, "%s\n", p)
			var ids []int64
			for _, w := range byPath[p] {
				if c, ok := w.(*conn); ok {
					ids = append(ids, c.session.Load())
				}
			}
			slices.SortFunc(ids, compareSessions)
			for _, id := range ids {
				fmt.Fprintf(b, "\t0x%x\n", uint64(id))
			}
		}
		b.WriteString("\n")
	}
}

// compareSessions orders session ids as unsigned numbers (as printed).
func compareSessions(a, b int64) int {
	switch ua, ub := uint64(a), uint64(b); {
	case ua < ub:
		return -1
	case ua > ub:
		return 1
	}
	return 0
}
