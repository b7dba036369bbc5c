package wire

// AddWatchRequest adds a persistent watch (op OpAddWatch). Mode holds an
// AddWatchMode value. The reply has no body.
type AddWatchRequest struct {
	Path string
	Mode int32
}

// Encode writes the record.
func (r *AddWatchRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Mode)
}

// Decode reads the record.
func (r *AddWatchRequest) Decode(d *Decoder) error {
	r.Path = d.str("AddWatchRequest.path")
	r.Mode = d.i32("AddWatchRequest.mode")
	return d.err
}

// RemoveWatchesRequest removes the session's watches on a path (op
// OpRemoveWatches). Type holds a WatcherType value. The reply has no body;
// CodeNoWatcher if there was none.
type RemoveWatchesRequest struct {
	Path string
	Type int32
}

// Encode writes the record.
func (r *RemoveWatchesRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Type)
}

// Decode reads the record.
func (r *RemoveWatchesRequest) Decode(d *Decoder) error {
	r.Path = d.str("RemoveWatchesRequest.path")
	r.Type = d.i32("RemoveWatchesRequest.type")
	return d.err
}

// CheckWatchesRequest asks whether the session has watches of a type on a
// path (op OpCheckWatches). Type holds a WatcherType value. The reply has no
// body; CodeNoWatcher if there is none.
type CheckWatchesRequest struct {
	Path string
	Type int32
}

// Encode writes the record.
func (r *CheckWatchesRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Type)
}

// Decode reads the record.
func (r *CheckWatchesRequest) Decode(d *Decoder) error {
	r.Path = d.str("CheckWatchesRequest.path")
	r.Type = d.i32("CheckWatchesRequest.type")
	return d.err
}
