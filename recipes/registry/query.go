package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zabkit/zabkit/client"
)

// One-shot queries read the servers once, without a watch (Curator's
// queryForNames, queryForInstances and queryForInstance). They retry after
// connection loss until ctx ends.

// QueryNames returns the names of the services registered below base,
// sorted; none if base does not exist.
func QueryNames(ctx context.Context, c *client.Conn, base string) ([]string, error) {
	if err := client.ValidatePath(base); err != nil {
		return nil, err
	}
	return client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
		names, _, err := c.Children(ctx, base)
		if errors.Is(err, client.ErrNoNode) {
			return nil, nil
		}
		slices.Sort(names)
		return names, err
	})
}

// QueryInstances returns the instances of service name below base,
// ordered by id (then by node name). A node whose data is not a service
// instance is not skipped silently: the instances that parse are returned
// together with an error matching ErrBadInstance that names every node
// that does not. Curator's queryForInstances throws on such a node instead.
func QueryInstances(ctx context.Context, c *client.Conn, base, name string) ([]Instance, error) {
	if err := checkService(base, name); err != nil {
		return nil, err
	}
	dir := client.JoinPath(base, name)
	var bad error
	insts, err := client.RetryValue(ctx, func(ctx context.Context) ([]Instance, error) {
		bad = nil
		kids, _, err := c.Children(ctx, dir)
		if errors.Is(err, client.ErrNoNode) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		nodes := map[string][]byte{}
		for _, k := range kids {
			data, _, err := c.Get(ctx, client.JoinPath(dir, k))
			if errors.Is(err, client.ErrNoNode) {
				continue // unregistered meanwhile
			}
			if err != nil {
				return nil, err
			}
			nodes[k] = data
		}
		insts, errs := decodeNodes(dir, nodes)
		bad = errs
		return insts, nil
	})
	if err != nil {
		return nil, err
	}
	return insts, bad
}

// QueryInstance returns the instance at <base>/<name>/<node>; node is the
// instance's id, with its sequence suffix for DynamicSequential instances.
// A missing node is an error matching client.ErrNoNode; data that is not
// a service instance, one matching ErrBadInstance.
func QueryInstance(ctx context.Context, c *client.Conn, base, name, node string) (Instance, error) {
	if err := checkService(base, name); err != nil {
		return Instance{}, err
	}
	if err := (Instance{Name: name, ID: node}).validate(); err != nil {
		return Instance{}, err
	}
	p := client.JoinPath(client.JoinPath(base, name), node)
	data, err := client.RetryValue(ctx, func(ctx context.Context) ([]byte, error) {
		data, _, err := c.Get(ctx, p)
		return data, err
	})
	if err != nil {
		return Instance{}, fmt.Errorf("registry: instance %s: %w", p, err)
	}
	inst, err := Unmarshal(data)
	if err != nil {
		return Instance{}, fmt.Errorf("registry: node %s: %w", p, err)
	}
	return inst, nil
}

func checkService(base, name string) error {
	if err := client.ValidatePath(base); err != nil {
		return err
	}
	return (Instance{Name: name, ID: "x"}).validate()
}

// decodeNodes decodes the instance nodes of dir (node name -> data),
// ordered by id then node name, and returns with them an error matching
// ErrBadInstance naming each node that does not decode (nil if none).
func decodeNodes(dir string, nodes map[string][]byte) ([]Instance, error) {
	type decoded struct {
		node string
		inst Instance
	}
	ok := make([]decoded, 0, len(nodes))
	var bad []error
	for k, data := range nodes {
		inst, err := Unmarshal(data)
		if err != nil {
			bad = append(bad, fmt.Errorf("registry: node %s: %w", client.JoinPath(dir, k), err))
			continue
		}
		ok = append(ok, decoded{k, inst})
	}
	slices.SortFunc(ok, func(a, b decoded) int {
		if c := strings.Compare(a.inst.ID, b.inst.ID); c != 0 {
			return c
		}
		return strings.Compare(a.node, b.node)
	})
	out := make([]Instance, len(ok))
	for i, d := range ok {
		out[i] = d.inst
	}
	slices.SortFunc(bad, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return out, errors.Join(bad...)
}
