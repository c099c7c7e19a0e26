package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// testEnv runs subcommands in-process with captured output.
func testEnv(stdin string) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: noEnv}, &out, &errOut
}

// generatedRSS is an RSS 2.0 document of n realistic items, each with about
// 500 bytes of HTML description.
func generatedRSS(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Generated Wire</title><link>https://wire.example/</link>`)
	places := []string{"Kyiv", "Tallinn", "Bamako", "Taipei", "Manila", "Khartoum", "Tehran", "Warsaw"}
	for i := range n {
		p := places[i%len(places)]
		fmt.Fprintf(&b, `<item><guid isPermaLink="false">gen-%d</guid><title>Officials in %s report incident number %d near the border</title>`+
			`<link>https://wire.example/news/%d?utm_source=rss&amp;utm_medium=feed</link><pubDate>Mon, 23 Mar 2026 %02d:%02d:00 GMT</pubDate>`+
			`<description>&lt;p&gt;Officials in &lt;b&gt;%s&lt;/b&gt; said on Monday that security forces responded to an incident near the border, `+
			`the %dth this month. &lt;a href="https://wire.example/related/%d"&gt;Related coverage&lt;/a&gt; of the deployment.&lt;/p&gt;`+
			`&lt;p&gt;A spokesperson declined to give details but said the situation was under control and that talks with neighbouring `+
			`governments would continue this week, according to a statement released by the ministry.&lt;/p&gt;</description></item>`,
			i, p, i, i, i%24, i%60, p, i%30, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

func TestCheckPrintsJSONLinesFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(path, generatedRSS(3), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ := testEnv("")
	if err := runCheck(context.Background(), env, []string{"--feed", path, "--jsonl"}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	first := lines[0]
	for _, key := range []string{"id", "feed", "title", "url", "published", "text"} {
		if _, ok := first[key]; !ok {
			t.Errorf("line lacks %q: %v", key, first)
		}
	}
	if first["url"] != "https://wire.example/news/0" {
		t.Errorf("url = %v; want the tracking parameters gone", first["url"])
	}
	if text := first["text"].(string); strings.Contains(text, "<") || !strings.Contains(text, "Officials in Kyiv") {
		t.Errorf("text = %q; want plain text", text)
	}
}

func TestCheckShowsWhatThePipelineMakesOfAFeed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		body, _ := demoFeeds.ReadFile("demodata/northern-dispatch.xml")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)

	t.Run("a loopback URL is refused by default", func(t *testing.T) {
		env, _, _ := testEnv("")
		err := runCheck(context.Background(), env, []string{"--feed", srv.URL + "/rss"})
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("err = %v; want a refusal naming loopback", err)
		}
	})
	t.Run("with --allow-private it is fetched, tagged, summarised and clustered", func(t *testing.T) {
		env, out, _ := testEnv("")
		if err := runCheck(context.Background(), env, []string{"--feed", srv.URL + "/rss", "--allow-private"}); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{"Northern Dispatch, 4 stories", "NATO moves troops to the Baltic states", "places:", "Estonia", "summary:", "cluster:"} {
			if !strings.Contains(got, want) {
				t.Errorf("output lacks %q:\n%s", want, got)
			}
		}
	})
}

func TestCheckErrorsSayWhatWentWrong(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.xml")
	os.WriteFile(broken, []byte("<rss><channel><item><title>cut off"), 0o600)
	loopback := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(loopback.Close)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no feed given", nil, "needs --feed"},
		{"missing file", []string{"--feed", filepath.Join(t.TempDir(), "nope.xml")}, "no such file"},
		{"malformed feed", []string{"--feed", broken}, "not a valid"},
		{"unknown flag", []string{"--fead", "x"}, "flag provided but not defined"},
		{"a feed on loopback", []string{"--feed", loopback.URL + "/rss"}, "blocked unless http.allow_private_addresses is set in the config; for a feed on your own network, run check with --allow-private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv("")
			err := runCheck(context.Background(), env, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want it to say %q", err, tt.want)
			}
		})
	}
}

// The target: vigil check --jsonl on 5,000 items costs at most 1.5x
// gofeed.Parse alone on the same bytes. Compare the two benchmarks' ns/op.
func BenchmarkCheckJSONL5000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "feed.xml")
	if err := os.WriteFile(path, generatedRSS(5000), 0o600); err != nil {
		b.Fatal(err)
	}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: noEnv}
	b.ResetTimer()
	for b.Loop() {
		if err := runCheck(context.Background(), env, []string{"--feed", path, "--jsonl"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGofeedParse5000(b *testing.B) {
	body := generatedRSS(5000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckListsStoriesInOneOrderInEveryMode(t *testing.T) {
	// The sample feed lists its items out of date order; its dates are
	// templates, filled in as the demo fills them.
	body, err := renderDemoFeed(demoFeeds, "demodata/frontline-brief.json", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	feedFile := filepath.Join(t.TempDir(), "frontline-brief.json")
	if err := os.WriteFile(feedFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	titles := func(args ...string) []string {
		t.Helper()
		env, out, _ := testEnv("")
		if err := runCheck(context.Background(), env, append([]string{"--feed", feedFile}, args...)); err != nil {
			t.Fatalf("check %v: %v", args, err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			switch {
			case strings.HasPrefix(line, "{"):
				var s storyJSON
				if err := json.Unmarshal([]byte(line), &s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s.Title)
			case strings.HasPrefix(line, "● "):
				got = append(got, strings.TrimPrefix(line, "● "))
			}
		}
		return got
	}
	text := titles()
	if len(text) < 2 {
		t.Fatalf("text mode listed %d stories", len(text))
	}
	for _, mode := range [][]string{{"--jsonl"}, {"--jsonl", "--enrich"}} {
		if got := titles(mode...); strings.Join(got, "\n") != strings.Join(text, "\n") {
			t.Errorf("check %v lists\n%s\nwant the text mode's order\n%s", mode, strings.Join(got, "\n"), strings.Join(text, "\n"))
		}
	}
}
