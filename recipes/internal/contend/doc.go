// Package contend is the contender machine that lock.Mutex, RWMutex,
// Semaphore and election.Election share: a place in a queue of
// ephemeral-sequential nodes, taken, waited on, held and given back.
//
// It owns, for one queue directory:
//   - joining: a Curator-compatible protected ephemeral-sequential node
//     dir/_c_<uuid>-<name>NNNNNNNNNN, dir and its parents made as containers
//     (client.CreateProtected with client.WithParentContainers);
//   - the order: children ordered on what follows their marker (the
//     sequence suffix), as Curator's StandardLockInternalsDriver does;
//   - waiting for the turn a Rule grants, watching only what the rule names
//     (the predecessor, for a mutex: no herd effect);
//   - confirming ownership: the node exists and its ephemeralOwner is the
//     session the contender ran on (CURATOR-206/604/696);
//   - monitoring a holding: a context cancelled when ownership may have
//     been lost (the session ended, or no connection for longer than a
//     grace period) or the holder released it;
//   - releasing: deleting the node until it is gone or its session is.
//
// A contender runs on one session (Session: its id and a channel closed
// when it ends). When that session ends, waiting ends with ErrSessionEnded
// and a holding's context is cancelled with the recipe's lost cause. A
// recipe whose Conn can carry on with a new session contends again by
// calling Acquire again; nothing held on the old session is ever resumed.
//
// Path helpers and creating parents belong to package client; the recipes'
// own rules (which contender holds) to each recipe.
package contend
