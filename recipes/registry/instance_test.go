package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// curatorJSON is what Curator's JsonInstanceSerializer writes for a
// ServiceInstance with a typed payload and a uriSpec.
const curatorJSON = `{"name":"orders","id":"4f6c2a7e-1d3b-4c5a-9e8f-0a1b2c3d4e5f","address":"10.20.30.40","port":1234,"sslPort":null,` +
	`"payload":{"@class":"com.example.InstanceDetails","description":"primary"},"registrationTimeUTC":1325129459728,` +
	`"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},` +
	`{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]},"enabled":true}`

func TestUnmarshalCuratorInstance(t *testing.T) {
	inst, err := Unmarshal([]byte(curatorJSON))
	if err != nil {
		t.Fatal(err)
	}
	if inst.Name != "orders" || inst.Address != "10.20.30.40" || inst.Port == nil || *inst.Port != 1234 || inst.SSLPort != nil ||
		inst.RegistrationTimeUTC != 1325129459728 || inst.ServiceType != Dynamic || inst.Disabled ||
		inst.URISpec == nil || len(inst.URISpec.Parts) != 5 || !inst.URISpec.Parts[0].Variable {
		t.Fatalf("decoded %+v", inst)
	}
	var payload map[string]string
	if err := json.Unmarshal(inst.Payload, &payload); err != nil || payload["@class"] != "com.example.InstanceDetails" {
		t.Fatalf("payload %s: %v", inst.Payload, err)
	}
	out, err := Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != curatorJSON {
		t.Fatalf("re-encoded differently:\n got %s\nwant %s", out, curatorJSON)
	}
}

func TestUnmarshalPreCurator275HasNoEnabledField(t *testing.T) {
	inst, err := Unmarshal([]byte(`{"name":"a","id":"1","address":"h","port":1,"sslPort":null,"payload":null,"registrationTimeUTC":0,"serviceType":"STATIC","uriSpec":null}`))
	if err != nil || inst.Disabled || inst.Payload != nil {
		t.Fatalf("%+v %v: want enabled, nil payload", inst, err)
	}
	inst, err = Unmarshal([]byte(`{"name":"a","id":"1","enabled":false}`))
	if err != nil || !inst.Disabled {
		t.Fatalf("%+v %v: want disabled", inst, err)
	}
}

// An instance registered with the fields left at their zero values (as in
// the package doc) is written "enabled":true and is picked by providers;
// only Disabled writes "enabled":false.
func TestZeroValueInstanceIsEnabled(t *testing.T) {
	for _, tc := range []struct {
		inst Instance
		want string
	}{
		{Instance{Name: "a", ID: "1"}, `{"name":"a","id":"1","address":"","port":null,"sslPort":null,"payload":null,"registrationTimeUTC":0,"serviceType":"","uriSpec":null,"enabled":true}`},
		{Instance{Name: "a", ID: "1", Disabled: true}, `{"name":"a","id":"1","address":"","port":null,"sslPort":null,"payload":null,"registrationTimeUTC":0,"serviceType":"","uriSpec":null,"enabled":false}`},
	} {
		data, err := Marshal(tc.inst)
		if err != nil || string(data) != tc.want {
			t.Fatalf("Marshal(%+v) = %s %v, want %s", tc.inst, data, err, tc.want)
		}
		back, err := Unmarshal(data)
		if err != nil || back.Disabled != tc.inst.Disabled {
			t.Fatalf("Unmarshal(%s) = %+v %v", data, back, err)
		}
		_, err = newProvider(func() []Instance { return []Instance{back} }, Random).Get()
		if tc.inst.Disabled != errors.Is(err, ErrNoInstances) {
			t.Fatalf("provider over %+v: %v", back, err)
		}
	}
}

func TestBadInstances(t *testing.T) {
	for _, in := range []Instance{{}, {Name: "a"}, {Name: "a/b", ID: "1"}, {Name: "a", ID: ".."},
		{Name: "a", ID: "1", ServiceType: "WEIRD"}, {Name: "a", ID: "1", Payload: json.RawMessage("{")}} {
		if _, err := Marshal(in); !errors.Is(err, ErrBadInstance) {
			t.Errorf("Marshal(%+v) = %v, want ErrBadInstance", in, err)
		}
	}
	for _, in := range []string{"", "{", "[]", `{"name":"a"}`, `{"name":1,"id":"x"}`} {
		if _, err := Unmarshal([]byte(in)); !errors.Is(err, ErrBadInstance) {
			t.Errorf("Unmarshal(%q) = %v, want ErrBadInstance", in, err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(curatorJSON))
	f.Add([]byte(`{"name":"a","id":"b"}`))
	f.Add([]byte(`{"name":"a","id":"b","port":-1,"payload":[1,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := Unmarshal(data)
		if err != nil {
			return
		}
		enc, err := Marshal(inst)
		if err != nil {
			return // e.g. a name with "/": readable, not registrable
		}
		again, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", enc, err)
		}
		enc2, _ := Marshal(again)
		if string(enc) != string(enc2) {
			t.Fatalf("not stable:\n%s\n%s", enc, enc2)
		}
	})
}

func TestProviders(t *testing.T) {
	list := []Instance{{ID: "a"}, {ID: "b"}, {ID: "c", Disabled: true}, {ID: "d"}}
	get := func() []Instance { return list }

	rr := newProvider(get, NewRoundRobin())
	var got []string
	for range 6 {
		i, err := rr.Get()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, i.ID)
	}
	if !reflect.DeepEqual(got, []string{"a", "b", "d", "a", "b", "d"}) {
		t.Fatalf("round robin %v (disabled c must be skipped)", got)
	}

	st := newProvider(get, Sticky(NewRoundRobin()))
	first, _ := st.Get()
	for range 3 {
		if i, _ := st.Get(); i.ID != first.ID {
			t.Fatalf("sticky moved from %s to %s", first.ID, i.ID)
		}
	}
	st.MarkDown(first.ID, 1<<62)
	if i, _ := st.Get(); i.ID == first.ID {
		t.Fatal("sticky returned an instance marked down")
	}

	rnd := newProvider(get, Random)
	seen := map[string]bool{}
	for range 200 {
		i, _ := rnd.Get()
		seen[i.ID] = true
	}
	if seen["c"] || len(seen) != 3 {
		t.Fatalf("random picked %v", seen)
	}
	for _, id := range []string{"a", "b", "d"} {
		rnd.MarkDown(id, 1<<62)
	}
	if _, err := rnd.Get(); !errors.Is(err, ErrNoInstances) {
		t.Fatalf("all down: %v", err)
	}
}

func TestMarkDownExpires(t *testing.T) {
	list := []Instance{{ID: "a"}}
	p := newProvider(func() []Instance { return list }, Random)
	now := p.now()
	p.now = func() time.Time { return now }
	p.MarkDown("a", time.Minute)
	if _, err := p.Get(); !errors.Is(err, ErrNoInstances) {
		t.Fatal("down instance returned")
	}
	p.now = func() time.Time { return now.Add(time.Minute) }
	if _, err := p.Get(); err != nil {
		t.Fatalf("instance still down after its period: %v", err)
	}
}
