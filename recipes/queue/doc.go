// Package queue provides distributed queues with Apache Curator's node
// layouts, so Go and Java producers and consumers can share a queue.
//
// SimpleQueue (Curator's SimpleDistributedQueue) keeps each item as a
// persistent-sequential node path/qn-<sequence> holding the item's bytes
// as they are; Offer adds, Peek reads the head, Poll removes it, Take
// waits for one.
//
// Queue (Curator's DistributedQueue) keeps each Put as a node
// path/queue-<sequence> whose data frames one or more items as Curator's
// ItemSerializer does (a 4-byte version 0x00010001, then per item the
// byte 0x01, a 4-byte big-endian length and the bytes, then the byte
// 0x02). PriorityQueue names its nodes queue-<priority><sequence> (the
// priority as "0" for negative or "1", then its 32 bits in 8 hex digits,
// so lower priorities sort, and are taken, first) and DelayQueue
// queue-|<due time in Unix ms, hex>|<sequence> (taken once due, earliest
// first). Take runs a Handler on each item of the head node and removes
// the node; Consume repeats Take.
//
//	q := queue.New(conn, "/app/queues/orders", queue.WithLockPath("/app/queues/orders-locks"))
//	err := q.Put(ctx, []byte("order-1"))
//	err = q.Consume(ctx, func(ctx context.Context, item []byte) error {
//		return process(ctx, item) // the item is removed only after this returns
//	})
//
// # Delivery
//
// Without a lock path a consumer reads a node, deletes it (one consumer
// wins) and then runs the Handler, as Curator does: a consumer that dies
// in the Handler loses the item, and a failing Handler's item is gone
// (at most once). With WithLockPath (Curator's safe consumption) a consumer
// first creates the ephemeral node lockPath/<item's node name>; only the
// consumer holding it processes the item, and the item is removed only
// after the Handler returned, in a multi that checks the lock node is
// still there. A consumer that dies, or whose session expires, leaves the
// item for another consumer (at least once; the Handler's ctx ends when
// the session holding the lock ends, and Take then returns an error
// matching ErrLockLost). A waiting consumer watches the lock of an item it
// had to skip, so it takes over such an item at once (Curator's consumer
// waits for the next change to the queue's children). A Handler that
// fails puts its node back at the tail under the same priority or due
// time, in the same multi (Curator's ErrorMode.REQUEUE; Curator requeues
// under the plain name), or removes it with WithDeleteOnError; Take
// returns the Handler's error either way. A Handler that fails because
// Take's ctx ended leaves the item in place.
//
// SimpleQueue removes an item by deleting its node before returning it: a
// consumer that dies after Take returned loses the item. If the
// connection breaks while the delete is in flight, Take returns the item
// even though the delete's outcome is unknown, so another consumer may
// also have received it (at least once).
//
// # Connection loss and session expiry
//
// Reads and deletes are retried on connection loss. A node create
// (Offer, Put) is not, since a retried sequential create may add the item
// twice: the call returns an error matching ErrUncertain and the caller
// decides whether to add it again. When the session expires, a waiting
// Take carries on if the Conn renews sessions (client.WithSessionRenewal):
// it lists the queue again on the next session. Otherwise (or after
// Close) it returns an error matching ErrSessionLost. A Take whose
// Handler was running with a lock returns ErrLockLost, the item staying
// in the queue; the next Take may get it again. Items are persistent nodes
// and outlive every session; only lock nodes are ephemeral.
//
// Java services using Curator 5.4's queues on the same paths interoperate:
// tests run Curator's producers and consumers beside these, both ways,
// for all four kinds, and Java and Go safe consumers on one lock path.
//
// # When a queue on ZooKeeper is the wrong tool
//
// As Curator's documentation says, ZooKeeper makes a poor queue at scale:
// every item is a znode under one parent, a consumer lists all of them to
// find the head, and ZooKeeper's packet limit (jute.maxbuffer, 1 MiB by
// default) makes a listing of more than some tens of thousands of items
// fail, which breaks every consumer of the queue. Each item costs one or
// more replicated writes, so throughput is that of ZooKeeper's writes
// (thousands per second for the whole ensemble), and consumers of one
// queue contend for the head. Use it for small queues of coordination
// work; use a message broker (Kafka, NATS, RabbitMQ) for data or high
// rates.
//
// Not implemented from Curator: maxItems (bounded puts), background puts,
// DistributedIdQueue and QueueSharder.
package queue
