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
