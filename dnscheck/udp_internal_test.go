package dnscheck

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdleSocketsAreClosedAfterSocketIdle(t *testing.T) {
	p, err := newUDPPool("127.0.0.1:9")
	require.NoError(t, err)
	defer p.close()
	old, err := p.get()
	require.NoError(t, err)
	recent, err := p.get()
	require.NoError(t, err)
	p.put(old)
	p.put(recent)
	p.mu.Lock()
	old.idleSince = time.Now().Add(-socketIdle) // as if idle for socketIdle
	p.mu.Unlock()

	p.reap()
	p.mu.Lock()
	assert.Equal(t, []*udpSocket{recent}, p.idle, "only the socket idle long enough is closed")
	assert.NotNil(t, p.reaper, "the reaper comes back for the other")
	p.mu.Unlock()
	_, err = old.conn.Write([]byte{0})
	assert.True(t, errors.Is(err, net.ErrClosed), "closed: %v", err)

	p.mu.Lock()
	recent.idleSince = time.Now().Add(-socketIdle)
	p.mu.Unlock()
	p.reap()
	p.mu.Lock()
	assert.Empty(t, p.idle)
	assert.Nil(t, p.reaper, "nothing left to reap: no timer")
	p.mu.Unlock()
}

func TestASocketIsRetiredAfterMaxSocketUses(t *testing.T) {
	p, err := newUDPPool("127.0.0.1:9")
	require.NoError(t, err)
	defer p.close()
	s, err := p.get()
	require.NoError(t, err)
	for range maxSocketUses - 1 {
		p.put(s)
		got, err := p.get()
		require.NoError(t, err)
		require.Same(t, s, got)
	}
	p.put(s)
	assert.Empty(t, p.idle, "retired, so the next query gets a new source port")
	_, err = s.conn.Write([]byte{0})
	assert.True(t, errors.Is(err, net.ErrClosed), "closed: %v", err)
}
