package wire

import "fmt"

// MultiHeaderSize is the encoded size of a MultiHeader.
const MultiHeaderSize = 9

// MultiHeader precedes every op of a MultiRequest and every result of a
// MultiResponse; a header with Done set (and Type OpError, Err -1) ends the
// list. In a request Err is always -1; in a response it is the result's code
// for error results and 0 otherwise.
type MultiHeader struct {
	Type Op
	Done bool
	Err  Code
}

// multiEnd is the header that terminates a multi request or response.
var multiEnd = MultiHeader{Type: OpError, Done: true, Err: -1}

// Encode writes the record.
func (r *MultiHeader) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Type))
	e.WriteBool(r.Done)
	e.WriteInt32(int32(r.Err))
}

// Decode reads the record.
func (r *MultiHeader) Decode(d *Decoder) error {
	r.Type = Op(d.i32("MultiHeader.type"))
	r.Done = d.boolean("MultiHeader.done")
	r.Err = Code(d.i32("MultiHeader.err"))
	return d.err
}

// MultiOp is one op of a MultiRequest. Request must be the record that
// matches Type:
//
//	OpCreate, OpCreate2, OpCreateContainer  *CreateRequest
//	OpCreateTTL                             *CreateTTLRequest
//	OpDelete                                *DeleteRequest
//	OpSetData                               *SetDataRequest
//	OpCheck                                 *CheckVersionRequest
//	OpGetChildren                           *GetChildrenRequest  (multiRead only)
//	OpGetData                               *GetDataRequest      (multiRead only)
//
// Decode always produces these types; Validate checks a request built by
// hand.
type MultiOp struct {
	Type    Op
	Request Record
}

// newMultiOpRequest returns an empty request record for a multi op type, and
// whether the op is a read (multiRead) op.
func newMultiOpRequest(t Op) (r Record, read bool, err error) {
	switch t {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, false, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, false, nil
	case OpDelete:
		return &DeleteRequest{}, false, nil
	case OpSetData:
		return &SetDataRequest{}, false, nil
	case OpCheck:
		return &CheckVersionRequest{}, false, nil
	case OpGetChildren:
		return &GetChildrenRequest{}, true, nil
	case OpGetData:
		return &GetDataRequest{}, true, nil
	}
	return nil, false, fmt.Errorf("%w: %v in multi request", ErrUnknownOp, t)
}

// MultiRequest is the body of OpMulti (write ops, applied all-or-nothing)
// and of OpMultiRead (getChildren and getData ops, answered one by one).
// Each op is encoded as a MultiHeader{Type, false, -1} followed by its
// request record, and the list ends with MultiHeader{-1, true, -1}. Decode
// rejects ops that may not appear in a multi (ErrUnknownOp) and mixes of
// read and write ops (ErrMixedMulti), as ZooKeeper does. An empty multi
// decodes with a nil Ops.
type MultiRequest struct {
	Ops []MultiOp
}

// Encode writes the record. Ops with a nil Request contribute only their
// header (see Validate).
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		if op.Request != nil {
			op.Request.Encode(e)
		}
	}
	multiEnd.Encode(e)
}

// Decode reads the record.
func (r *MultiRequest) Decode(d *Decoder) error {
	r.Ops = nil
	var h MultiHeader
	kind := 0 // 0 unknown, 1 write, 2 read
	for h.Decode(d) == nil && !h.Done {
		req, read, err := newMultiOpRequest(h.Type)
		if err != nil {
			d.Fail(err)
			break
		}
		k := 1
		if read {
			k = 2
		}
		if kind != 0 && kind != k {
			d.Fail(fmt.Errorf("%w: %v after %v", ErrMixedMulti, h.Type, r.Ops[len(r.Ops)-1].Type))
			break
		}
		kind = k
		if req.Decode(d) != nil {
			break
		}
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Request: req})
	}
	if d.err != nil {
		r.Ops = nil
	}
	return d.err
}

// Validate reports whether every op has the request record its Type calls
// for and the ops do not mix reads and writes.
func (r *MultiRequest) Validate() error {
	kind := 0
	for i, op := range r.Ops {
		want, read, err := newMultiOpRequest(op.Type)
		if err != nil {
			return fmt.Errorf("wire: multi op %d: %w", i, err)
		}
		if !sameRecordType(op.Request, want) {
			return fmt.Errorf("wire: multi op %d (%v) has request %T, want %T", i, op.Type, op.Request, want)
		}
		k := 1
		if read {
			k = 2
		}
		if kind != 0 && kind != k {
			return fmt.Errorf("wire: multi op %d: %w", i, ErrMixedMulti)
		}
		kind = k
	}
	return nil
}

// sameRecordType reports whether got has the concrete type of want, one of
// the records newMultiOpRequest returns.
func sameRecordType(got, want Record) bool {
	switch want.(type) {
	case *CreateRequest:
		_, ok := got.(*CreateRequest)
		return ok
	case *CreateTTLRequest:
		_, ok := got.(*CreateTTLRequest)
		return ok
	case *DeleteRequest:
		_, ok := got.(*DeleteRequest)
		return ok
	case *SetDataRequest:
		_, ok := got.(*SetDataRequest)
		return ok
	case *CheckVersionRequest:
		_, ok := got.(*CheckVersionRequest)
		return ok
	case *GetChildrenRequest:
		_, ok := got.(*GetChildrenRequest)
		return ok
	case *GetDataRequest:
		_, ok := got.(*GetDataRequest)
		return ok
	}
	return false
}

// MultiResult is one result of a MultiResponse. Response is the record that
// matches Type, or nil:
//
//	OpCreate       *CreateResponse
//	OpCreate2      *Create2Response  (also the result of createContainer and createTTL)
//	OpSetData      *SetDataResponse
//	OpGetChildren  *GetChildrenResponse
//	OpGetData      *GetDataResponse
//	OpDelete, OpCheck  nil
//	OpError            nil; Err holds the code
//
// Err is CodeOK for every non-error result. In a failed multi ZooKeeper
// answers every op with an error result: CodeOK for the ops before the
// failing one, the failure for it, CodeRuntimeInconsistency for the rest.
type MultiResult struct {
	Type     Op
	Err      Code
	Response Record
}

// newMultiResultResponse returns an empty response record for a multi result
// type (nil for results without a body).
func newMultiResultResponse(t Op) (Record, error) {
	switch t {
	case OpCreate:
		return &CreateResponse{}, nil
	case OpCreate2:
		return &Create2Response{}, nil
	case OpSetData:
		return &SetDataResponse{}, nil
	case OpGetChildren:
		return &GetChildrenResponse{}, nil
	case OpGetData:
		return &GetDataResponse{}, nil
	case OpDelete, OpCheck, OpError:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %v in multi response", ErrUnknownOp, t)
}

// MultiResponse is the body of the reply to OpMulti and OpMultiRead. A
// failed multi is still a successful reply: ZooKeeper sends ReplyHeader.Err
// CodeOK and reports the failure in the error results (see MultiResult);
// multiRead answers each op independently, failed reads as error results.
// Each
// result is encoded as a MultiHeader{Type, false, err} followed by its
// response record (an ErrorResponse for error results), and the list ends
// with MultiHeader{-1, true, -1}. An empty response decodes with a nil
// Results.
type MultiResponse struct {
	Results []MultiResult
}

// Encode writes the record.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		h := MultiHeader{Type: res.Type}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch {
		case res.Type == OpError:
			er := ErrorResponse{Err: res.Err}
			er.Encode(e)
		case res.Response != nil:
			res.Response.Encode(e)
		}
	}
	multiEnd.Encode(e)
}

// Decode reads the record. The code of an error result is taken from its
// ErrorResponse body, as ZooKeeper's client does.
func (r *MultiResponse) Decode(d *Decoder) error {
	r.Results = nil
	var h MultiHeader
	for h.Decode(d) == nil && !h.Done {
		resp, err := newMultiResultResponse(h.Type)
		if err != nil {
			d.Fail(err)
			break
		}
		res := MultiResult{Type: h.Type, Response: resp}
		if h.Type == OpError {
			var er ErrorResponse
			if er.Decode(d) != nil {
				break
			}
			res.Err = er.Err
		} else if resp != nil && resp.Decode(d) != nil {
			break
		}
		r.Results = append(r.Results, res)
	}
	if d.err != nil {
		r.Results = nil
	}
	return d.err
}

// FirstError returns the first error result's code that is not CodeOK (the
// failing op of a failed multi), or nil if there is none.
func (r *MultiResponse) FirstError() error {
	for _, res := range r.Results {
		if res.Type == OpError && res.Err != CodeOK {
			return res.Err
		}
	}
	return nil
}
