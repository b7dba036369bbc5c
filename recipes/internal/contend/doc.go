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
// A place in the queue belongs to one session (Session: its id and a
// channel closed when it ends), the Conn's live one when Acquire joins.
// When that session ends, a holding's context is cancelled with the
// recipe's lost cause and the holding is over: it is never resumed, and
// Release ends it sending nothing on a later session (no request ever
// touches an ephemeral of an older session). A waiter whose session ends joins the queue again
// on the Conn's next session (client session renewal); once the Conn is
// finished, Acquire returns ErrSessionEnded.
//
// Path helpers and creating parents belong to package client; the recipes'
// own rules (which contender holds) to each recipe.
package contend
