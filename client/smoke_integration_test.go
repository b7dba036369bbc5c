package client

import (
	"bytes"
	"errors"
	"testing"
)

func TestIntegrationSmoke(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	p, st, err := c.Create(ctx, root+"/a", []byte("hello"), ModePersistent, nil)
	if err != nil || p != root+"/a" || st.DataLength != 5 {
		t.Fatalf("Create = %q %+v %v", p, st, err)
	}
	d, st2, err := c.Get(ctx, p)
	if err != nil || !bytes.Equal(d, []byte("hello")) || st2 != st {
		t.Fatalf("Get = %q %+v %v", d, st2, err)
	}
	if _, _, err := c.Create(ctx, p, nil, ModePersistent, nil); !errors.Is(err, ErrNodeExists) {
		t.Fatalf("second Create: %v, want ErrNodeExists", err)
	}
	t.Logf("err text: %v", err)
}
