package treecache

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// follow runs the same scenario in both modes: the cache must converge on
// the tree after each step.
func TestCacheFollowsTree(t *testing.T) {
	for _, oneShot := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneShot=%v", oneShot), func(t *testing.T) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			w := zktest.Dial(t)
			notify := make(chan struct{}, 1)
			tc := New(zktest.Dial(t), root, func() {
				select {
				case notify <- struct{}{}:
				default:
				}
			})
			tc.oneShot = oneShot
			tc.Start()
			defer tc.Close()
			zktest.Wait(t, tc.Loaded(), 20*time.Second, "the first load")
			expect := func(want map[string]string) {
				t.Helper()
				for {
					got, stale := tc.Snapshot()
					m := map[string]string{}
					for k, e := range got {
						m[k] = string(e.Data)
					}
					if maps.Equal(m, want) && !stale {
						return
					}
					zktest.Wait(t, notify, 20*time.Second, fmt.Sprintf("cache %v to become %v", m, want))
				}
			}
			expect(map[string]string{}) // root missing
			mk := func(p, d string) {
				if err := zktest.CreateAll(ctx, w, p, []byte(d)); err != nil {
					t.Fatal(err)
				}
			}
			mk(root, "")
			mk(root+"/a", "1")
			mk(root+"/a/b", "2")
			expect(map[string]string{"a": "1", "a/b": "2"})
			if _, err := w.Set(ctx, root+"/a/b", []byte("3"), -1); err != nil {
				t.Fatal(err)
			}
			mk(root+"/c", "4")
			expect(map[string]string{"a": "1", "a/b": "3", "c": "4"})
			if err := w.Delete(ctx, root+"/a/b", -1); err != nil {
				t.Fatal(err)
			}
			expect(map[string]string{"a": "1", "c": "4"})
			for _, p := range []string{root + "/a", root + "/c", root} {
				if err := w.Delete(ctx, p, -1); err != nil {
					t.Fatal(err)
				}
			}
			expect(map[string]string{})
			mk(root, "")
			mk(root+"/again", "5")
			expect(map[string]string{"again": "5"})
		})
	}
}
