package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// maxJSONLine bounds one JSON line of a command's input: a story with its
// full article text is well under 1 MiB; 16 MiB leaves room without letting
// a runaway input take all memory.
const maxJSONLine = 16 << 20

// jsonObject is a JSON line as read, so that fields a command does not know
// pass through unchanged.
type jsonObject = map[string]json.RawMessage

// transformJSONLines applies fn to each JSON line of in and writes what it
// returns to out; a nil object drops the line. A line fn rejects is reported
// on errOut with its number and skipped, and the command fails at the end,
// so that a pipeline neither stops at one bad story nor hides it.
func transformJSONLines(ctx context.Context, command string, in io.Reader, out, errOut io.Writer, fn func(line []byte) (jsonObject, error)) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLine)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	lineNo, bad := 0, 0
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: stopped at line %d: %w", command, lineNo, err)
		}
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		obj, err := fn(line)
		if err != nil {
			bad++
			fmt.Fprintf(errOut, "vigil %s: line %d: %v\n", command, lineNo, err)
			continue
		}
		if obj == nil {
			continue
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("%s: write line %d: %w", command, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read line %d: %w", command, lineNo+1, err)
	}
	if bad > 0 {
		return fmt.Errorf("%s: %d of %d lines were not valid story objects", command, bad, lineNo)
	}
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
