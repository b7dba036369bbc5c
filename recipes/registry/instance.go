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
	// Disabled marks an instance administratively out of service:
	// providers skip it. It is Curator's "enabled" field inverted, so that
	// the zero value is the common case: the JSON says "enabled":true
	// unless Disabled is set, and JSON without the field (Curator's default
	// serializer, which leaves it out) reads as enabled.
	Disabled bool `json:"-"`
}

// instanceJSON is Instance's JSON form, fields in Curator's order.
type instanceJSON struct {
	Name                string          `json:"name"`
	ID                  string          `json:"id"`
	Address             string          `json:"address"`
	Port                *int            `json:"port"`
	SSLPort             *int            `json:"sslPort"`
	Payload             json.RawMessage `json:"payload"`
	RegistrationTimeUTC int64           `json:"registrationTimeUTC"`
	ServiceType         ServiceType     `json:"serviceType"`
	URISpec             *URISpec        `json:"uriSpec"`
	Enabled             *bool           `json:"enabled"`
}

// MarshalJSON encodes inst as Curator's ServiceInstance JSON (with the
// "enabled" field, as Curator's JsonInstanceSerializer writes it when
// compatibleSerializationMode is false). It does not validate; Marshal
// does.
func (inst Instance) MarshalJSON() ([]byte, error) {
	enabled := !inst.Disabled
	payload := inst.Payload
	if len(payload) == 0 {
		payload = nil
	}
	return json.Marshal(instanceJSON{Name: inst.Name, ID: inst.ID, Address: inst.Address, Port: inst.Port,
		SSLPort: inst.SSLPort, Payload: payload, RegistrationTimeUTC: inst.RegistrationTimeUTC,
		ServiceType: inst.ServiceType, URISpec: inst.URISpec, Enabled: &enabled})
}

// UnmarshalJSON decodes Curator's ServiceInstance JSON; a missing or null
// "enabled" reads as enabled, and a null payload as nil. It does not check
// the fields; Unmarshal does.
func (inst *Instance) UnmarshalJSON(data []byte) error {
	var w instanceJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(w.Payload), []byte("null")) {
		w.Payload = nil
	}
	*inst = Instance{Name: w.Name, ID: w.ID, Address: w.Address, Port: w.Port, SSLPort: w.SSLPort,
		Payload: w.Payload, RegistrationTimeUTC: w.RegistrationTimeUTC, ServiceType: w.ServiceType,
		URISpec: w.URISpec, Disabled: w.Enabled != nil && !*w.Enabled}
	return nil
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
	return json.Marshal(inst)
}

// Unmarshal decodes Curator's ServiceInstance JSON. Unknown fields are
// ignored, as Curator's serializer does by default.
func Unmarshal(data []byte) (Instance, error) {
	var inst Instance
	if err := json.Unmarshal(data, &inst); err != nil {
		return Instance{}, fmt.Errorf("%w: %w", ErrBadInstance, err)
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
	case "", Dynamic, DynamicSequential, Static, Permanent:
	default:
		return fmt.Errorf("%w: service type %q is not supported", ErrBadInstance, inst.ServiceType)
	}
	if len(inst.Payload) > 0 && !json.Valid(inst.Payload) {
		return fmt.Errorf("%w: payload is not valid JSON", ErrBadInstance)
	}
	return nil
}
