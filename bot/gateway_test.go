package bot

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// frame builds a server (unmasked) websocket frame.
func frame(opcode byte, payload []byte) []byte {
	b := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

func TestCloseSnifferReadsTheCloseCodeWhateverTheChunking(t *testing.T) {
	handshake := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	closeFrame := frame(0x8, append(binary.BigEndian.AppendUint16(nil, 4004), "Authentication failed."...))
	tests := []struct {
		name   string
		stream []byte
		want   []int
	}{
		{"close after small frames", bytes.Join([][]byte{handshake, frame(0x1, []byte(`{"op":10}`)), frame(0x2, bytes.Repeat([]byte{0x7f}, 300)), closeFrame}, nil), []int{4004}},
		{"close after a 64 KiB frame", bytes.Join([][]byte{handshake, frame(0x2, make([]byte, 70_000)), closeFrame}, nil), []int{4004}},
		// A payload that looks like a close frame is not one.
		{"no close", bytes.Join([][]byte{handshake, frame(0x1, closeFrame)}, nil), nil},
		{"close without a code", bytes.Join([][]byte{handshake, frame(0x8, nil)}, nil), nil},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, 7, 1000, 1 << 20} {
			var got []int
			c := &closeSniffer{onClose: func(code int) { got = append(got, code) }}
			for b := tt.stream; len(b) > 0; b = b[min(chunk, len(b)):] {
				c.feed(b[:min(chunk, len(b))])
			}
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("%s, chunks of %d: close codes %v, want %v", tt.name, chunk, got, tt.want)
			}
		}
	}
}

func FuzzCloseSniffer(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 OK\r\n\r\n\x88\x02\x0f\xa4"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &closeSniffer{onClose: func(int) {}}
		c.feed(b)
	})
}

// clientFrame builds a client's websocket frame, masked with mask.
func clientFrame(opcode byte, payload []byte, mask [4]byte) []byte {
	b := frame(opcode, nil)[:1]
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	default:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

func TestIdentifyFramesAreToldFromTheClientsOtherWrites(t *testing.T) {
	identify := []byte(`{"op":2,"d":{"token":"Bot x","intents":1,"shard":[0,2]}}`)
	long := append([]byte(`{"op":2,"d":{"token":"Bot x","properties":{"os":"`), bytes.Repeat([]byte("x"), 300)...)
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	tests := []struct {
		name  string
		write []byte
		want  bool
	}{
		{"an IDENTIFY", clientFrame(0x1, identify, mask), true},
		{"an IDENTIFY with a 16-bit length", clientFrame(0x1, long, mask), true},
		{"an IDENTIFY masked with zeros", clientFrame(0x1, identify, [4]byte{}), true},
		{"a RESUME", clientFrame(0x1, []byte(`{"op":6,"d":{"token":"Bot x","session_id":"s","seq":4}}`), mask), false},
		{"a heartbeat", clientFrame(0x1, []byte(`{"op":1,"d":41}`), mask), false},
		{"a binary frame", clientFrame(0x2, identify, mask), false},
		{"an unmasked frame", frame(0x1, identify), false},
		{"a close frame", clientFrame(0x8, []byte{0x03, 0xe8}, mask), false},
		{"the opening handshake", []byte("GET /?v=10&encoding=json HTTP/1.1\r\nHost: gateway.discord.gg\r\n\r\n"), false},
		{"a cut-off IDENTIFY", clientFrame(0x1, identify, mask)[:9], false},
		{"nothing", nil, false},
	}
	for _, tt := range tests {
		if got := isIdentifyFrame(tt.write); got != tt.want {
			t.Errorf("%s: isIdentifyFrame = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzIsIdentifyFrame(f *testing.F) {
	f.Add(clientFrame(0x1, []byte(`{"op":2,"d":{}}`), [4]byte{1, 2, 3, 4}))
	f.Add([]byte{0x81, 0xfe, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) { isIdentifyFrame(b) })
}
