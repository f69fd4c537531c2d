package devrev

// For the external tests (which may import the simulator: it imports
// throttle, which imports this package).
var (
	ScanCreated      = scanCreated
	UnmarshalCreated = unmarshalCreated
	DecodeCreated    = decodeCreated
)
