package queue

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// The framing of two items, byte for byte as Curator's ItemSerializer
// writes it.
func TestItemFramingIsCurators(t *testing.T) {
	got := encodeItems([][]byte{[]byte("ab"), {}})
	want := []byte{0x00, 0x01, 0x00, 0x01, 0x01, 0, 0, 0, 2, 'a', 'b', 0x01, 0, 0, 0, 0, 0x02}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeItems = % x, want % x", got, want)
	}
	items, err := decodeItems(got)
	if err != nil || len(items) != 2 || string(items[0]) != "ab" || len(items[1]) != 0 {
		t.Fatalf("decodeItems = %q, %v", items, err)
	}
	if items, err := decodeItems(encodeItems(nil)); err != nil || len(items) != 0 {
		t.Fatalf("no items: %q, %v", items, err)
	}
}

func TestDecodeRejectsCorruptFraming(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short version": {0, 1, 0},
		"wrong version": {0, 1, 0, 2, 0x02},
		"no end":        {0, 1, 0, 1},
		"bad opcode":    {0, 1, 0, 1, 0x03},
		"short length":  {0, 1, 0, 1, 0x01, 0, 0},
		"long item":     {0, 1, 0, 1, 0x01, 0, 0, 0, 5, 'a'},
		"negative size": {0, 1, 0, 1, 0x01, 0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := decodeItems(b); !errors.Is(err, ErrCorruptItem) {
			t.Errorf("%s: %v, want ErrCorruptItem", name, err)
		}
	}
}

func FuzzDecodeItems(f *testing.F) {
	f.Add(encodeItems([][]byte{[]byte("x"), []byte("yz")}))
	f.Add([]byte{0, 1, 0, 1, 0x01, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := decodeItems(b)
		if err != nil {
			return
		}
		again, err := decodeItems(encodeItems(items))
		if err != nil || !reflect.DeepEqual(normalize(again), normalize(items)) {
			t.Fatalf("re-encoding %q gives %q, %v", items, again, err)
		}
	})
}

func normalize(items [][]byte) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it)
	}
	return out
}

// Names as Curator's priorityToString and epochToString make them.
func TestNameEncodingsAreCurators(t *testing.T) {
	for p, want := range map[int32]string{
		0: "100000000", 1: "100000001", 255: "1000000FF", 2147483647: "17FFFFFFF",
		-1: "0FFFFFFFF", -2: "0FFFFFFFE", -2147483648: "080000000",
	} {
		if got := priorityName(p); got != want {
			t.Errorf("priorityName(%d) = %s, want %s", p, got, want)
		}
	}
	at := time.UnixMilli(0x18C2F5A3B10)
	if got, want := delayName(at), "|18C2F5A3B10|"; got != want {
		t.Errorf("delayName = %s, want %s", got, want)
	}
	if got, want := delayName(time.UnixMilli(0x1234)), "|00001234|"; got != want {
		t.Errorf("delayName = %s, want %s", got, want)
	}
	if got := dueTime("queue-|18C2F5A3B10|0000000003"); !got.Equal(at) {
		t.Errorf("dueTime = %v, want %v", got, at)
	}
	for _, n := range []string{"queue-0000000003", "queue-||0000000003", "queue-|xyz|0000000001", "|1|"} {
		if got := dueTime(n); !got.IsZero() {
			t.Errorf("dueTime(%q) = %v, want due at once", n, got)
		}
	}
}

func TestSortItems(t *testing.T) {
	byName := sortItems([]string{
		"queue-1000000050000000004", "foreign", "queue-0FFFFFFFF0000000003", "queue-1000000000000000009",
		"qn-0000000001", "queue-1000000050000000001",
	}, false)
	want := []string{"queue-0FFFFFFFF0000000003", "queue-1000000000000000009", "queue-1000000050000000001", "queue-1000000050000000004"}
	if !reflect.DeepEqual(byName, want) {
		t.Fatalf("priority order %v, want %v", byName, want)
	}
	byDue := sortItems([]string{"queue-|200|0000000001", "queue-|100|0000000002", "queue-|100|0000000000", "queue-0000000009"}, true)
	want = []string{"queue-0000000009", "queue-|100|0000000000", "queue-|100|0000000002", "queue-|200|0000000001"}
	if !reflect.DeepEqual(byDue, want) {
		t.Fatalf("due order %v, want %v", byDue, want)
	}
	if got := requeueName("queue-1000000050000000004"); got != "queue-100000005" {
		t.Fatalf("requeueName = %s", got)
	}
	if got := requeueName("queue-|100|0000000002"); got != "queue-|100|" {
		t.Fatalf("requeueName = %s", got)
	}
}
