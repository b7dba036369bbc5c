package ensemble

import (
	"context"
)

// Backend is the ensemble a program or a test runs against: an external
// one (a zabkit cluster or Apache ZooKeeper) known only by its connect
// string, or one started in this process, which alone can inject faults.
type Backend struct {
	// Servers is the connect string.
	Servers string
	// Ensemble is the in-process ensemble; nil for an external one.
	Ensemble *Ensemble
}

// Open returns the external ensemble at connect string servers or, when
// servers is empty, starts one in this process with opts. This is the one
// place where "in-process unless an ensemble is named" is decided: the
// examples' -servers flag and the tests' ZABKIT_ZK_SERVERS (package
// ensembletest) both end here.
func Open(ctx context.Context, servers string, opts ...Option) (*Backend, error) {
	if servers != "" {
		return &Backend{Servers: servers}, nil
	}
	e, err := Start(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &Backend{Servers: e.Servers(), Ensemble: e}, nil
}

// External reports whether the backend is an external ensemble.
func (b *Backend) External() bool { return b.Ensemble == nil }

// Close stops the in-process ensemble, if any; an external one is left
// alone.
func (b *Backend) Close() error {
	if b.Ensemble == nil {
		return nil
	}
	return b.Ensemble.Close()
}
