package alerts

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{10 * time.Minute, "10m"},
		{2*time.Minute + 10*time.Second, "2m10s"},
		{45 * time.Second, "45s"},
		{4*time.Second + 400*time.Millisecond, "4s"},
		{250 * time.Millisecond, "250ms"},
		{0, "0s"},
		{26*time.Hour + 5*time.Second, "26h0m5s"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
