package feed

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"255.255.255.255", "reserved"},
		{"64:ff9b::7f00:1", "loopback"},      // NAT64 to 127.0.0.1
		{"64:ff9b::a9fe:a9fe", "link-local"}, // NAT64 to 169.254.169.254
		{"2002:c0a8:101::1", "private"},      // 6to4 of 192.168.1.1
		{"::7f00:1", "reserved"},             // IPv4-compatible 127.0.0.1
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""}, // NAT64 to 8.8.8.8
		{"::ffff:8.8.8.8", ""},
	}
	for _, tt := range tests {
		name := tt.addr + " is public"
		if tt.want != "" {
			name = tt.addr + " is " + tt.want
		}
		t.Run(name, func(t *testing.T) {
			if got := classify(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("classify(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestAddressPolicy(t *testing.T) {
	intranet := []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("fd00:1::/32")}
	tests := []struct {
		name    string
		policy  addressPolicy
		address string
		allowed bool
	}{
		{"the default policy allows a public address", addressPolicy{}, "93.184.216.34:443", true},
		{"the default policy refuses loopback", addressPolicy{}, "127.0.0.1:80", false},
		{"the default policy refuses the metadata endpoint", addressPolicy{}, "169.254.169.254:80", false},
		{"the default policy refuses mapped loopback", addressPolicy{}, "[::ffff:127.0.0.1]:80", false},
		{"the default policy refuses a zoned link-local address", addressPolicy{}, "[fe80::1%eth0]:80", false},
		{"AllowPrivate allows loopback", addressPolicy{allowPrivate: true}, "127.0.0.1:80", true},
		{"an allowed network is reachable", addressPolicy{allowed: intranet}, "10.20.3.4:80", true},
		{"an allowed network is reachable in mapped form", addressPolicy{allowed: intranet}, "[::ffff:10.20.3.4]:80", true},
		{"an allowed IPv6 network is reachable", addressPolicy{allowed: intranet}, "[fd00:1::5]:80", true},
		{"outside the allowed networks stays blocked", addressPolicy{allowed: intranet}, "10.21.0.1:80", false},
		{"allowed networks do not open loopback", addressPolicy{allowed: intranet}, "127.0.0.1:80", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.control("tcp", tt.address, nil)
			if tt.allowed && err != nil {
				t.Errorf("control(%s) = %v, want allowed", tt.address, err)
			}
			if !tt.allowed && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("control(%s) = %v, want ErrBlockedAddress", tt.address, err)
			}
		})
	}

	t.Run("an unparsable dial address is refused", func(t *testing.T) {
		if err := (addressPolicy{}).control("tcp", "not-an-address", nil); err == nil {
			t.Error("want an error")
		}
	})
	t.Run("the message names the address and the setting", func(t *testing.T) {
		err := (addressPolicy{}).control("tcp", "169.254.169.254:80", nil)
		want := "address 169.254.169.254 is a link-local address; private addresses are blocked unless http.allow_private_addresses is set in the config"
		if err == nil || err.Error() != want {
			t.Errorf("message = %v, want %q", err, want)
		}
	})
	t.Run("the article agrees with the kind", func(t *testing.T) {
		err := (addressPolicy{}).control("tcp", "0.0.0.0:80", nil)
		if err == nil || !strings.Contains(err.Error(), "is an unspecified address") {
			t.Errorf("message = %v", err)
		}
	})
}

func TestDialContextRefusesBlockedLiteralsBeforeDialling(t *testing.T) {
	tests := []struct {
		name    string
		address string
		dialled bool
	}{
		{"a loopback literal is refused without a socket", "127.0.0.1:80", false},
		{"an IPv6 loopback literal is refused without a socket", "[::1]:80", false},
		{"the metadata endpoint is refused without a socket", "169.254.169.254:80", false},
		{"a public literal is dialled", "93.184.216.34:443", true},
		{"a host name resolving to a public address is dialled", "example.com:443", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dialled := false
			dial := addressPolicy{}.dialContext(func(ctx context.Context, network, address string) (net.Conn, error) {
				dialled = true
				return nil, errors.New("fake dialer")
			}, fakeResolver{"example.com": {"93.184.216.34"}}.lookup)
			_, err := dial(t.Context(), "tcp", tt.address)
			if dialled != tt.dialled {
				t.Errorf("dialled = %v, want %v", dialled, tt.dialled)
			}
			if !tt.dialled && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("err = %v, want ErrBlockedAddress", err)
			}
		})
	}
}

// fakeResolver answers DNS lookups from a table, to play hostile DNS.
type fakeResolver map[string][]string

func (r fakeResolver) lookup(_ context.Context, _, host string) ([]netip.Addr, error) {
	answers, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	addrs := make([]netip.Addr, len(answers))
	for i, a := range answers {
		addrs[i] = netip.MustParseAddr(a)
	}
	return addrs, nil
}
