package client

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/zabkit/zabkit/wire"
)

// DefaultSessionTimeout is the session timeout requested when
// WithSessionTimeout is not given. The server clamps it to its own
// [2*tickTime, 20*tickTime] range.
const DefaultSessionTimeout = 10 * time.Second

// Option configures a call of this package. One type serves every call
// that takes options: Dial, Retry and RetryValue, Create and
// CreateProtected.
// Each option's doc says which calls it applies to; a call given an option
// that does not apply to it fails with ErrBadArguments (before doing
// anything), so that a misplaced option is never silently ignored. A nil
// Option is ignored.
type Option func(*options)

// callKind names the calls that take options, as a bit set.
type callKind uint8

const (
	callDial callKind = 1 << iota
	callRetry
	callCreate
	callCreateProtected
)

func (k callKind) String() string {
	switch k {
	case callDial:
		return "Dial"
	case callRetry:
		return "Retry/RetryValue"
	case callCreate:
		return "Create"
	case callCreateProtected:
		return "CreateProtected"
	}
	return "?"
}

// Scopes of the options: where each applies.
const (
	forDial   = callDial
	forRetry  = callRetry | callCreateProtected // the retries of CreateProtected too
	forCreate = callCreate | callCreateProtected
)

// newOption returns the option called name: on a call in scope it
// applies set, on any other it records itself as misplaced.
func newOption(name string, scope callKind, set func(*options)) Option {
	return func(o *options) {
		if o.call&scope == 0 {
			o.misplaced = append(o.misplaced, name)
			return
		}
		set(o)
	}
}

// apply applies opts for call to o; it fails with ErrBadArguments,
// naming them, if some of them do not apply to call.
func (o *options) apply(call callKind, opts []Option) error {
	o.call = call
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if len(o.misplaced) > 0 {
		what := "option " + o.misplaced[0] + " does"
		if len(o.misplaced) > 1 {
			what = "options " + strings.Join(o.misplaced, ", ") + " do"
		}
		return fmt.Errorf("zk: %s not apply to %v: %w", what, call, ErrBadArguments)
	}
	return nil
}

type options struct {
	call      callKind
	misplaced []string // options given that do not apply to call

	// Dial.
	sessionTimeout time.Duration
	auth           []authInfo
	maxPacket      int
	logger         *slog.Logger
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	readOnly       bool
	reconnect      func() backoff.BackOff
	shuffle        func([]string)
	session        *sessionInfo
	renew          bool

	// Retry, RetryValue and CreateProtected.
	retry retryOptions

	// Create and CreateProtected.
	parents bool
}

type authInfo struct {
	scheme string
	auth   []byte
}

// defaultOptions returns Dial's defaults.
func defaultOptions() options {
	var d net.Dialer
	return options{
		sessionTimeout: DefaultSessionTimeout,
		maxPacket:      wire.DefaultMaxPacket,
		logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		dial:           d.DialContext,
		reconnect:      defaultReconnectBackOff,
		renew:          true,
	}
}

// defaultReconnectBackOff waits between connection attempts: a few
// milliseconds at first, growing to one second, never giving up (the
// session, not the backoff, decides when reconnecting is pointless).
func defaultReconnectBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 10 * time.Millisecond
	b.MaxInterval = time.Second
	b.MaxElapsedTime = 0
	return b
}

// WithSessionTimeout sets the session timeout the client asks for. The
// server negotiates the final value (see Conn.SessionTimeout).
// It applies to Dial.
func WithSessionTimeout(d time.Duration) Option {
	return newOption("WithSessionTimeout", forDial, func(o *options) { o.sessionTimeout = d })
}

// WithDigestAuth authenticates the session with the "digest" scheme as
// user:password, on the first connection and again on every reconnect.
// It applies to Dial.
func WithDigestAuth(user, password string) Option {
	return newOption("WithDigestAuth", forDial, WithAuth("digest", []byte(user+":"+password)))
}

// WithAuth authenticates the session with any scheme the server knows, on
// the first connection and again on every reconnect.
// It applies to Dial.
func WithAuth(scheme string, auth []byte) Option {
	return newOption("WithAuth", forDial, func(o *options) {
		o.auth = append(o.auth, authInfo{scheme: scheme, auth: append([]byte(nil), auth...)})
	})
}

// WithMaxPacketSize bounds the size of a frame the client accepts from a
// server (default wire.DefaultMaxPacket, ZooKeeper's jute.maxbuffer plus
// slack). A larger frame drops the connection.
// It applies to Dial.
func WithMaxPacketSize(n int) Option {
	return newOption("WithMaxPacketSize", forDial, func(o *options) { o.maxPacket = n })
}

// WithLogger sets the logger for connection events. The default discards
// everything.
// It applies to Dial.
func WithLogger(l *slog.Logger) Option {
	return newOption("WithLogger", forDial, func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithDialer replaces the function that opens TCP connections to servers
// (default: a net.Dialer's DialContext).
// It applies to Dial.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return newOption("WithDialer", forDial, func(o *options) {
		if dial != nil {
			o.dial = dial
		}
	})
}

// WithReadOnly allows the client to connect to a server that is in
// read-only mode (partitioned from its quorum). Such a connection reports
// StateConnectedReadOnly and write requests fail with ErrNotReadOnly.
// Meanwhile the client asks the other servers ("isro") whether they serve
// writes again, backing off from 100ms to 60s, and moves to the first that
// does. A session created on a read-only server is replaced by a new one on
// the first read-write server, as in ZooKeeper's client.
//
// Apache ZooKeeper servers accept read-only clients only with
// readonlymode.enabled=true, and give a new client a session while
// read-only only with localSessionsEnabled=true.
// It applies to Dial.
func WithReadOnly() Option {
	return newOption("WithReadOnly", forDial, func(o *options) { o.readOnly = true })
}

// WithReconnectBackOff sets the policy that spaces connection attempts. It
// is called once per disconnection; a BackOff that returns backoff.Stop is
// treated as "wait one second".
// It applies to Dial.
func WithReconnectBackOff(f func() backoff.BackOff) Option {
	return newOption("WithReconnectBackOff", forDial, func(o *options) {
		if f != nil {
			o.reconnect = f
		}
	})
}

// WithServerOrder replaces the shuffle of the connect string's servers
// (done once at Dial) with f, which reorders the slice in place. Tests use
// it to make the server order deterministic.
// It applies to Dial.
func WithServerOrder(f func(servers []string)) Option {
	return newOption("WithServerOrder", forDial, func(o *options) { o.shuffle = f })
}

type sessionInfo struct {
	id       int64
	passwd   []byte
	lastZxid int64
}

// WithSession resumes an existing session (id and password from another
// Conn's SessionID and SessionPassword) instead of creating one. Tests use
// it to act on a session from a second connection, for example to close it
// and make the first Conn see it expire.
// It applies to Dial.
func WithSession(id int64, passwd []byte) Option {
	return newOption("WithSession", forDial, func(o *options) {
		o.session = &sessionInfo{id: id, passwd: append([]byte(nil), passwd...)}
	})
}

// WithSessionRenewal chooses what the Conn does when its session expires.
// With on, the default, the Conn establishes a new session by itself (spacing attempts
// with the reconnect backoff, until Close), as Curator's framework does:
// the state stream reports Expired, then Connecting and Connected for the
// new session, Session returns the new session's handle (Generation one
// higher), auth infos are sent again and persistent watches re-added;
// "Session expiry" in the package doc says what else happens. With off, an
// expiry ends the Conn for good (Done is closed, Err says
// ErrSessionExpired, every later call fails).
//
// The recipes in this module carry on across a renewal (each package doc
// says how); code written for a Conn that ends at expiry (say, one that
// dials a new Conn when Done is closed) asks for that with
// WithSessionRenewal(false). It applies to Dial.
func WithSessionRenewal(on bool) Option {
	return newOption("WithSessionRenewal", forDial, func(o *options) { o.renew = on })
}
