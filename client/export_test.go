package client

// Helpers of the package's own tests that the integration tests (package
// client_test) share.
var (
	TestCtx   = testCtx
	WaitState = waitState
	RecvEvent = recvEvent
)
