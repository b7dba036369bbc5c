package ensemble_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

func TestTCPPeers(t *testing.T) {
	e := ensembletest.Start(t, ensemble.WithTCPPeers())
	ctx := testCtx(t)
	assert.ErrorIs(t, e.Partition([]int{0}), ensemble.ErrNotSupported)
	assert.ErrorIs(t, e.Heal(), ensemble.ErrNotSupported)
	assert.ErrorIs(t, e.SetDrop(0, 1, 0.5), ensemble.ErrNotSupported)
	assert.ErrorIs(t, e.SetDelay(0, 1, 0), ensemble.ErrNotSupported)
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/tcp", []byte("t"), client.ModePersistent, nil)
	require.NoError(t, err)
	old := e.Leader()
	require.NoError(t, e.Kill(old))
	require.NoError(t, waitUntil(ctx, func() bool { l := e.Leader(); return l >= 0 && l != old }))
	require.NoError(t, e.Restart(ctx, old))
	require.NoError(t, e.WaitServer(ctx, old))
	assert.Equal(t, "t", readOn(t, e, old, "/tcp"))
}
