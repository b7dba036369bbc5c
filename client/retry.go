package client

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// retryOptions are the options of Retry and RetryValue, and of the retries
// inside CreateProtected.
type retryOptions struct {
	policy    func() backoff.BackOff
	retryable func(error) bool
}

// DefaultRetryBackOff is the policy Retry uses by default: exponential
// from 50ms up to 2s between attempts, randomized, and no limit on the
// total time (the caller's ctx and the session's end bound it).
func DefaultRetryBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 2 * time.Second
	b.MaxElapsedTime = 0
	return b
}

func defaultRetryOptions() retryOptions {
	return retryOptions{policy: DefaultRetryBackOff, retryable: IsRetryable}
}

// WithRetryBackOff sets the policy that spaces attempts. A policy that
// returns backoff.Stop ends the retries with the last error. It applies to
// Retry, RetryValue and CreateProtected (its create and its cleanup).
func WithRetryBackOff(f func() backoff.BackOff) Option {
	return newOption("WithRetryBackOff", forRetry, func(o *options) { o.retry.policy = f })
}

// WithRetryIf replaces IsRetryable as the test of which errors are worth
// another attempt. It applies to Retry, RetryValue and CreateProtected
// (its create; the cleanup after a failed create always retries on
// IsRetryable).
func WithRetryIf(f func(error) bool) Option {
	return newOption("WithRetryIf", forRetry, func(o *options) { o.retry.retryable = f })
}

// Retry runs op until it returns nil or an error that is not retryable
// (by default IsRetryable: ErrConnectionLoss and the server's throttling
// codes), waiting between attempts with backoff/v4, and returns op's last
// error. A lost session (ErrSessionExpired, ErrAuthFailed, ErrClosed) and
// the end of ctx stop it at once.
//
// Use it only for operations that may safely run twice: reads, Set and
// Delete with an explicit version, Multi guarded by CheckOp. A retried
// Delete may report ErrNoNode when the first attempt did succeed, and a
// retried non-sequential Create ErrNodeExists; a sequential create must
// use CreateProtected instead.
func Retry(ctx context.Context, op func(ctx context.Context) error, opts ...Option) error {
	_, err := RetryValue(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, op(ctx) }, opts...)
	return err
}

// RetryValue is Retry for an operation that returns a value.
func RetryValue[T any](ctx context.Context, op func(ctx context.Context) (T, error), opts ...Option) (T, error) {
	o := options{retry: defaultRetryOptions()}
	if err := o.apply(callRetry, opts); err != nil {
		var zero T
		return zero, err
	}
	return retryValue(ctx, op, o.retry)
}

// retryValue is RetryValue with its options resolved.
func retryValue[T any](ctx context.Context, op func(ctx context.Context) (T, error), o retryOptions) (T, error) {
	b := o.policy()
	b.Reset()
	for {
		v, err := op(ctx)
		if err == nil || !o.retryable(err) || IsSessionLost(err) || ctx.Err() != nil {
			return v, err
		}
		d := b.NextBackOff()
		if d == backoff.Stop {
			return v, err
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return v, err
		}
	}
}
