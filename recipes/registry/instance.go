package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ServiceType is Curator's ServiceType.
type ServiceType string

// Service types. Dynamic instances are ephemeral; permanent and static ones
// are persistent nodes that outlive the session.
const (
	Dynamic           ServiceType = "DYNAMIC"
	DynamicSequential ServiceType = "DYNAMIC_SEQUENTIAL"
	Static            ServiceType = "STATIC"
	Permanent         ServiceType = "PERMANENT"
)

// URISpec is Curator's UriSpec: parts that are literal text or {variable}
// names.
type URISpec struct {
	Parts []URIPart `json:"parts"`
}

// URIPart is one part of a URISpec.
type URIPart struct {
	Value    string `json:"value"`
	Variable bool   `json:"variable"`
}

// Instance is Curator's ServiceInstance, in the same JSON form.
type Instance struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Address string `json:"address"`
	Port    *int   `json:"port"`
	SSLPort *int   `json:"sslPort"`
	// Payload is raw JSON (nil for JSON null). Curator's Jackson
	// serializer writes a typed payload with an "@class" property naming
	// the Java class; keep it there for Java readers.
	Payload             json.RawMessage `json:"payload"`
	RegistrationTimeUTC int64           `json:"registrationTimeUTC"`
	ServiceType         ServiceType     `json:"serviceType"`
	URISpec             *URISpec        `json:"uriSpec"`
	// Enabled is true unless the instance is administratively disabled.
	// JSON without the field (Curator before CURATOR-275) reads as true.
	Enabled bool `json:"enabled"`
}

// Int returns a pointer to v, for Port and SSLPort.
func Int(v int) *int { return &v }

// ErrBadInstance is returned for an instance that cannot be registered or
// a node whose data is not a service instance.
var ErrBadInstance = errors.New("registry: bad instance")

// Marshal encodes inst as Curator's ServiceInstance JSON.
func Marshal(inst Instance) ([]byte, error) {
	if err := inst.validate(); err != nil {
		return nil, err
	}
	if len(inst.Payload) == 0 {
		inst.Payload = nil
	}
	return json.Marshal(inst)
}

// Unmarshal decodes Curator's ServiceInstance JSON. Unknown fields are
// ignored, as Curator's serializer does by default.
func Unmarshal(data []byte) (Instance, error) {
	var raw struct {
		Instance
		Enabled *bool `json:"enabled"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Instance{}, fmt.Errorf("%w: %w", ErrBadInstance, err)
	}
	inst := raw.Instance
	inst.Enabled = raw.Enabled == nil || *raw.Enabled
	if bytes.Equal(bytes.TrimSpace(inst.Payload), []byte("null")) {
		inst.Payload = nil
	}
	if inst.Name == "" || inst.ID == "" {
		return Instance{}, fmt.Errorf("%w: name and id are required", ErrBadInstance)
	}
	return inst, nil
}

func (inst Instance) validate() error {
	for what, v := range map[string]string{"name": inst.Name, "id": inst.ID} {
		if v == "" || strings.ContainsRune(v, '/') || v == "." || v == ".." {
			return fmt.Errorf("%w: %s %q must be a non-empty znode name", ErrBadInstance, what, v)
		}
	}
	switch inst.ServiceType {
	case "", Dynamic, Static, Permanent:
	default:
		return fmt.Errorf("%w: service type %q is not supported", ErrBadInstance, inst.ServiceType)
	}
	if len(inst.Payload) > 0 && !json.Valid(inst.Payload) {
		return fmt.Errorf("%w: payload is not valid JSON", ErrBadInstance)
	}
	return nil
}
