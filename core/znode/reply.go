package znode

import "github.com/zabkit/zabkit/wire"

// Reply returns what the server answers the client whose request the txn
// came from, as ZooKeeper's FinalRequestProcessor: the ReplyHeader error
// and the response body (nil for an empty body).
//
//	failed request (Op OpError)        its code, no body
//	OpCreate                           *wire.CreateResponse
//	OpCreate2, OpCreateTTL,
//	OpCreateContainer                  *wire.Create2Response
//	OpSetData                          *wire.SetDataResponse
//	OpSetACL                           *wire.SetACLResponse
//	OpDelete, OpDeleteContainer,
//	OpCreateSession, OpCloseSession    no body
//	OpMulti                            CodeOK (even when an op failed) and
//	                                   *wire.MultiResponse with one result per op
//
// A standalone OpCheck that succeeds has no reply in ZooKeeper 3.8 (the
// server closes the connection); Reply returns CodeOK and no body for it.
func (r Result) Reply() (wire.Code, wire.Record) {
	if r.Op == wire.OpError || (r.Op != wire.OpMulti && r.Err != wire.CodeOK) {
		return r.Err, nil
	}
	switch r.Op {
	case wire.OpMulti:
		resp := &wire.MultiResponse{Results: make([]wire.MultiResult, 0, len(r.Multi))}
		for _, sub := range r.Multi {
			resp.Results = append(resp.Results, sub.multiResult())
		}
		return wire.CodeOK, resp
	case wire.OpCreate:
		return wire.CodeOK, &wire.CreateResponse{Path: r.Path}
	case wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
		return wire.CodeOK, &wire.Create2Response{Path: r.Path, Stat: statOrZero(r.Stat)}
	case wire.OpSetData:
		return wire.CodeOK, &wire.SetDataResponse{Stat: statOrZero(r.Stat)}
	case wire.OpSetACL:
		return wire.CodeOK, &wire.SetACLResponse{Stat: statOrZero(r.Stat)}
	}
	return wire.CodeOK, nil
}

func statOrZero(s *wire.Stat) wire.Stat {
	if s == nil {
		return wire.Stat{}
	}
	return *s
}

// multiResult is one op's entry in a MultiResponse: ZooKeeper answers
// createTTL and createContainer ops like create2, and every op of a failed
// multi as an error result.
func (r Result) multiResult() wire.MultiResult {
	if r.Op == wire.OpError || r.Err != wire.CodeOK {
		return wire.MultiResult{Type: wire.OpError, Err: r.Err}
	}
	switch r.Op {
	case wire.OpCreate:
		return wire.MultiResult{Type: wire.OpCreate, Response: &wire.CreateResponse{Path: r.Path}}
	case wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
		return wire.MultiResult{Type: wire.OpCreate2, Response: &wire.Create2Response{Path: r.Path, Stat: statOrZero(r.Stat)}}
	case wire.OpSetData:
		return wire.MultiResult{Type: wire.OpSetData, Response: &wire.SetDataResponse{Stat: statOrZero(r.Stat)}}
	case wire.OpDelete, wire.OpDeleteContainer:
		return wire.MultiResult{Type: wire.OpDelete}
	}
	return wire.MultiResult{Type: r.Op}
}
