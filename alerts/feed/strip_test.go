package feed

import (
	"strings"
	"testing"
)

func TestPlainTextBlocksKeepsBlocksApart(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"a heading is a line of its own", "<h3>Strategic Deployment</h3><p>NATO moved troops.</p>", "Strategic Deployment\nNATO moved troops."},
		{"paragraphs, breaks and list items are lines", "<p>one</p>\n\n<p>two</p>three<br>four<ul><li>five</li><li>six</li></ul>", "one\ntwo\nthree\nfour\nfive\nsix"},
		{"inline tags still join words", "w<b>or</b>d <a href=\"x\">link</a>", "word link"},
		{"source line breaks inside a paragraph are spaces", "<p>one\n  two</p>", "one two"},
		{"no line break leads or trails", "<div><p> x </p></div>", "x"},
		{"plain text is kept on one line", "a \n b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainTextBlocks(tt.in); got != tt.want {
				t.Errorf("plainTextBlocks(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got, want := plainText(tt.in), strings.ReplaceAll(tt.want, "\n", " "); got != want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain text is kept", "Hello world", "Hello world"},
		{"whitespace runs collapse and ends are trimmed", "  a \n\t b\u00a0\u00a0c  ", "a b c"},
		{"entities are decoded", "Tom &amp; Jerry &lt;3 &eacute;t&#233; &#x2014;", "Tom & Jerry <3 été —"},
		{"inline tags do not split words", "w<b>or</b>d <a href=\"x\">link</a>", "word link"},
		{"block tags separate words", "<p>one</p><p>two</p>three<br>four<li>five", "one two three four five"},
		{"scripts and styles are dropped", "a<script>var x = '<p>';</script>b<style>p{}</style>c", "a b c"},
		{"an end tag inside a script string does not end it early", "<script>document.write('</scr' + 'ipt>')</script>ok", "ok"},
		{"comments are dropped", "a<!-- <p>hidden</p> -->b", "ab"},
		{"quoted attributes may contain '>'", `<img alt="a > b" src='x>y'>after`, "after"},
		{"a literal less-than is kept", "if x < y and y<=z", "if x < y and y<=z"},
		{"a less-than joined to a letter by a removed tag is separated", "<<b>b", "< b"},
		{"an unterminated tag swallows the rest", "text <a href=\"x", "text"},
		{"escaped markup stays text", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"},
		{"doubly wrapped CDATA keeps its content", "<![CDATA[<p>inner</p>]]>", "inner"},
		{"doctype and processing instructions go", "<!DOCTYPE html><?xml version=\"1.0\"?>x", "x"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\ufffdb"},
		{"control characters become spaces", "a\x00b\x1bc", "a b c"},
		{"zero-width characters are removed", "a\u200bb\ufeff", "ab"},
		{"upper-case tags are recognised", "<P>x</P><SCRIPT>y</SCRIPT>", "x"},
		{"an empty string stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainText(tt.in); got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainTextDoesNotAllocateForCleanText(t *testing.T) {
	s := strings.Repeat("Clean ASCII text without markup. ", 10)
	s = strings.TrimSpace(s)
	if n := testing.AllocsPerRun(100, func() { _ = plainText(s) }); n != 0 {
		t.Errorf("plainText allocated %v times for clean text", n)
	}
}
