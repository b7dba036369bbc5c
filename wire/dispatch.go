package wire

import "fmt"

// NewRequest returns an empty record for the body of a client request with
// the given op, ready to Decode. Ops whose requests carry no body (OpPing,
// OpCloseSession, OpWhoAmI) get *Empty. OpCreateSession has no
// RequestHeader (it is the ConnectRequest) and OpNotification, OpError and
// OpDeleteContainer are never sent by clients; they, and unknown ops, are
// ErrUnknownOp.
//
//	OpCreate, OpCreate2, OpCreateContainer  *CreateRequest
//	OpCreateTTL                             *CreateTTLRequest
//	OpDelete                                *DeleteRequest
//	OpExists                                *ExistsRequest
//	OpGetData                               *GetDataRequest
//	OpSetData                               *SetDataRequest
//	OpGetACL                                *GetACLRequest
//	OpSetACL                                *SetACLRequest
//	OpGetChildren                           *GetChildrenRequest
//	OpGetChildren2                          *GetChildren2Request
//	OpSync                                  *SyncRequest
//	OpCheck                                 *CheckVersionRequest
//	OpMulti, OpMultiRead                    *MultiRequest
//	OpReconfig                              *ReconfigRequest
//	OpCheckWatches                          *CheckWatchesRequest
//	OpRemoveWatches                         *RemoveWatchesRequest
//	OpAuth                                  *AuthPacket
//	OpSetWatches                            *SetWatches
//	OpSetWatches2                           *SetWatches2
//	OpSASL                                  *GetSASLRequest
//	OpGetEphemerals                         *GetEphemeralsRequest
//	OpGetAllChildrenNumber                  *GetAllChildrenNumberRequest
//	OpAddWatch                              *AddWatchRequest
//	OpPing, OpCloseSession, OpWhoAmI        *Empty
func NewRequest(op Op) (Record, error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, nil
	case OpDelete:
		return &DeleteRequest{}, nil
	case OpExists:
		return &ExistsRequest{}, nil
	case OpGetData:
		return &GetDataRequest{}, nil
	case OpSetData:
		return &SetDataRequest{}, nil
	case OpGetACL:
		return &GetACLRequest{}, nil
	case OpSetACL:
		return &SetACLRequest{}, nil
	case OpGetChildren:
		return &GetChildrenRequest{}, nil
	case OpGetChildren2:
		return &GetChildren2Request{}, nil
	case OpSync:
		return &SyncRequest{}, nil
	case OpCheck:
		return &CheckVersionRequest{}, nil
	case OpMulti, OpMultiRead:
		return &MultiRequest{}, nil
	case OpReconfig:
		return &ReconfigRequest{}, nil
	case OpCheckWatches:
		return &CheckWatchesRequest{}, nil
	case OpRemoveWatches:
		return &RemoveWatchesRequest{}, nil
	case OpAuth:
		return &AuthPacket{}, nil
	case OpSetWatches:
		return &SetWatches{}, nil
	case OpSetWatches2:
		return &SetWatches2{}, nil
	case OpSASL:
		return &GetSASLRequest{}, nil
	case OpGetEphemerals:
		return &GetEphemeralsRequest{}, nil
	case OpGetAllChildrenNumber:
		return &GetAllChildrenNumberRequest{}, nil
	case OpAddWatch:
		return &AddWatchRequest{}, nil
	case OpPing, OpCloseSession, OpWhoAmI:
		return &Empty{}, nil
	}
	return nil, fmt.Errorf("%w: no request body for %v", ErrUnknownOp, op)
}

// NewResponse returns an empty record for the body of a successful reply
// (ReplyHeader.Err == CodeOK) to a request with the given op, as ZooKeeper
// 3.8's FinalRequestProcessor sends it. A reply with any other Err has no
// body. Ops answered with a header only get *Empty.
//
//	OpCreate                                   *CreateResponse
//	OpCreate2, OpCreateContainer, OpCreateTTL  *Create2Response
//	OpExists                                   *ExistsResponse
//	OpGetData, OpReconfig                      *GetDataResponse
//	OpSetData, OpCheck                         *SetDataResponse
//	OpGetACL                                   *GetACLResponse
//	OpSetACL                                   *SetACLResponse
//	OpGetChildren                              *GetChildrenResponse
//	OpGetChildren2                             *GetChildren2Response
//	OpSync                                     *SyncResponse
//	OpMulti, OpMultiRead                       *MultiResponse
//	OpAddWatch                                 *ErrorResponse (always code 0)
//	OpSASL                                     *SetSASLResponse
//	OpGetEphemerals                            *GetEphemeralsResponse
//	OpGetAllChildrenNumber                     *GetAllChildrenNumberResponse
//	OpWhoAmI                                   *WhoAmIResponse
//	OpDelete, OpPing, OpCloseSession, OpAuth,
//	OpSetWatches, OpSetWatches2,
//	OpCheckWatches, OpRemoveWatches            *Empty
//
// Watch events are not replies: a frame whose ReplyHeader.Xid is
// XidNotification carries a WatcherEvent.
func NewResponse(op Op) (Record, error) {
	switch op {
	case OpCreate:
		return &CreateResponse{}, nil
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return &Create2Response{}, nil
	case OpExists:
		return &ExistsResponse{}, nil
	case OpGetData, OpReconfig:
		return &GetDataResponse{}, nil
	case OpSetData, OpCheck:
		return &SetDataResponse{}, nil
	case OpGetACL:
		return &GetACLResponse{}, nil
	case OpSetACL:
		return &SetACLResponse{}, nil
	case OpGetChildren:
		return &GetChildrenResponse{}, nil
	case OpGetChildren2:
		return &GetChildren2Response{}, nil
	case OpSync:
		return &SyncResponse{}, nil
	case OpMulti, OpMultiRead:
		return &MultiResponse{}, nil
	case OpAddWatch:
		return &ErrorResponse{}, nil
	case OpSASL:
		return &SetSASLResponse{}, nil
	case OpGetEphemerals:
		return &GetEphemeralsResponse{}, nil
	case OpGetAllChildrenNumber:
		return &GetAllChildrenNumberResponse{}, nil
	case OpWhoAmI:
		return &WhoAmIResponse{}, nil
	case OpDelete, OpPing, OpCloseSession, OpAuth, OpSetWatches, OpSetWatches2, OpCheckWatches, OpRemoveWatches:
		return &Empty{}, nil
	}
	return nil, fmt.Errorf("%w: no response body for %v", ErrUnknownOp, op)
}
