package znode

import (
	"cmp"
	"slices"
)

// WatchesByWatcher returns a snapshot of the watch registry by watcher:
// for each watcher, the paths it has a watch on (data, child, persistent
// or recursive; each path once, in byte order). It is what the wchc
// four-letter word lists. The result is the caller's; it takes the
// registry's own mutex, not the server's tree lock.
func (t *Tree) WatchesByWatcher() map[Watcher][]string {
	ws := t.watches
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := map[Watcher][]string{}
	for _, tab := range []*watchTable{&ws.data, &ws.child} {
		for w, paths := range tab.byWatcher {
			for p := range paths {
				out[w] = append(out[w], p)
			}
		}
	}
	for w, ps := range out {
		slices.Sort(ps)
		out[w] = slices.Compact(ps)
	}
	return out
}

// WatchesByPath returns a snapshot of the watch registry by path: for each
// watched path, its watchers (each once, in the order they first
// registered a watch there). It is what the wchp four-letter word lists.
// The result is the caller's; it takes the registry's own mutex.
func (t *Tree) WatchesByPath() map[string][]Watcher {
	ws := t.watches
	ws.mu.Lock()
	defer ws.mu.Unlock()
	type first struct {
		w   Watcher
		seq uint64
	}
	byPath := map[string][]first{}
	for _, tab := range []*watchTable{&ws.data, &ws.child} {
	entries:
		for p, m := range tab.byPath {
			for w, e := range m {
				fs := byPath[p]
				for i := range fs {
					if fs[i].w == w {
						fs[i].seq = min(fs[i].seq, e.seq)
						continue entries
					}
				}
				byPath[p] = append(fs, first{w, e.seq})
			}
		}
	}
	out := make(map[string][]Watcher, len(byPath))
	for p, fs := range byPath {
		slices.SortStableFunc(fs, func(a, b first) int { return cmp.Compare(a.seq, b.seq) })
		list := make([]Watcher, len(fs))
		for i, f := range fs {
			list[i] = f.w
		}
		out[p] = list
	}
	return out
}
