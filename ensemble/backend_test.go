package ensemble_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

func TestOpenStartsAnEnsembleWhenNoneIsNamed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := ensemble.Open(ctx, "", ensemble.WithSize(1))
	require.NoError(t, err)
	require.NotNil(t, b.Ensemble)
	assert.False(t, b.External())
	assert.Equal(t, b.Ensemble.Servers(), b.Servers)
	c, err := client.Dial(ctx, b.Servers)
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))
	require.NoError(t, b.Close())
	_, err = net.DialTimeout("tcp", b.Servers, time.Second)
	assert.Error(t, err, "Close stops the in-process ensemble")
}

func TestOpenUsesTheNamedEnsemble(t *testing.T) {
	b, err := ensemble.Open(context.Background(), "127.0.0.1:1,127.0.0.1:2/app")
	require.NoError(t, err)
	assert.True(t, b.External())
	assert.Nil(t, b.Ensemble)
	assert.Equal(t, "127.0.0.1:1,127.0.0.1:2/app", b.Servers)
	assert.NoError(t, b.Close(), "closing an external backend leaves it alone")
}
