package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `zabkit 4lw` prints a server's reply to a four-letter word verbatim.
func TestFourLetterWordCommand(t *testing.T) {
	addr := strings.Split(zabkitServers(t), ",")[0]
	out, _, err := runCmd(t, "", "4lw", "-server", addr, "ruok")
	require.NoError(t, err)
	assert.Equal(t, "imok", out)

	out, _, err = runCmd(t, "", "4lw", "-server", addr, "srvr")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "Zookeeper version: "), "srvr reply %q", out)
	assert.Regexp(t, `(?m)^Mode: (leader|follower)$`, out)

	for _, args := range [][]string{
		{"4lw"},
		{"4lw", "-server", addr},
		{"4lw", "-server", addr, "srvr", "ruok"},
		{"4lw", "-server", addr, "status"},
		{"4lw", "-server", addr + "," + addr, "srvr"},
	} {
		_, errOut, err := runCmd(t, "", args...)
		assert.ErrorIs(t, err, errUsage, "%q", args)
		assert.Contains(t, errOut, "usage: zabkit 4lw", "%q", args)
	}

	closed := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)[0])
	_, _, err = runCmd(t, "", "4lw", "-server", closed, "srvr")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "srvr to "+closed)
}
