package discordtest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// restSession is a discordgo session that is never opened: REST calls only,
// and no one-second Close.
func restSession(t testing.TB, srv *Server) *discordgo.Session {
	t.Helper()
	session, err := srv.NewSession(srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	return session
}

// restError asserts that err is a *discordgo.RESTError with the given HTTP
// status and Discord code.
func restError(t testing.TB, err error, status, code int) {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want *discordgo.RESTError", err, err)
	}
	if re.Response.StatusCode != status {
		t.Errorf("status = %d, want %d", re.Response.StatusCode, status)
	}
	if re.Message == nil || re.Message.Code != code {
		t.Errorf("error body = %s, want code %d", re.ResponseBody, code)
	}
}

func testCommands() []*discordgo.ApplicationCommand {
	perm := int64(discordgo.PermissionManageChannels)
	return []*discordgo.ApplicationCommand{
		{
			Name:                     "subscribe",
			Description:              "Watch a query in a channel",
			DefaultMemberPermissions: &perm,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "Search words", Required: true, Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "Where alerts go"},
			},
		},
		{
			Name:        "feeds",
			Description: "Manage feeds",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Add a feed", Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionString, Name: "url", Description: "Feed URL", Required: true},
				}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List feeds"},
			},
		},
	}
}

func TestApplicationCommandBulkOverwrite(t *testing.T) {
	t.Parallel()
	for _, scope := range []string{guildID, ""} {
		name := "in a guild"
		if scope == "" {
			name = "globally"
		}
		t.Run("commands registered "+name+" are stored with IDs and recorded", func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			session := restSession(t, srv)
			got, err := session.ApplicationCommandBulkOverwrite(srv.ApplicationID(), scope, testCommands())
			if err != nil {
				t.Fatalf("bulk overwrite: %v", err)
			}
			if len(got) != 2 || got[0].ID == "" || got[0].ApplicationID != srv.ApplicationID() || got[0].GuildID != scope || got[0].Version == "" {
				t.Fatalf("answer = %+v, want two commands with IDs, application and guild", got)
			}
			if got[0].DefaultMemberPermissions == nil || *got[0].DefaultMemberPermissions != discordgo.PermissionManageChannels {
				t.Errorf("default_member_permissions lost: %v", got[0].DefaultMemberPermissions)
			}
			stored := srv.Commands(scope)
			if len(stored) != 2 || stored[1].Name != "feeds" || stored[1].ID != got[1].ID {
				t.Errorf("stored commands = %+v, want the answer", stored)
			}
			reqs := srv.RequestsTo(http.MethodPut, "/applications/*/commands")
			if scope != "" {
				reqs = srv.RequestsTo(http.MethodPut, "/applications/*/guilds/*/commands")
			}
			if len(reqs) != 1 || reqs[0].Status != http.StatusOK {
				t.Fatalf("recorded PUTs = %+v, want one answered 200", reqs)
			}
			var body []map[string]any
			if err := reqs[0].Decode(&body); err != nil || len(body) != 2 || body[0]["name"] != "subscribe" {
				t.Errorf("recorded body = %s (%v), want both commands", reqs[0].Body, err)
			}

			again, err := session.ApplicationCommandBulkOverwrite(srv.ApplicationID(), scope, testCommands()[1:])
			if err != nil {
				t.Fatalf("second bulk overwrite: %v", err)
			}
			if len(again) != 1 || again[0].ID != got[1].ID {
				t.Errorf("overwrite kept %+v, want only feeds with its old ID %s", again, got[1].ID)
			}
			listed, err := session.ApplicationCommands(srv.ApplicationID(), scope)
			if err != nil || len(listed) != 1 || listed[0].Name != "feeds" {
				t.Errorf("GET commands = %+v, %v; want only feeds", listed, err)
			}
		})
	}
}

func TestApplicationCommandValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	opt := func(name string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: "d", Required: required}
	}
	many := make([]*discordgo.ApplicationCommandOption, 26)
	for i := range many {
		many[i] = opt(strings.Repeat("o", i+1), false)
	}
	tests := []struct {
		name     string
		cmd      *discordgo.ApplicationCommand
		wantPath string
	}{
		{name: "an upper-case name is refused", cmd: &discordgo.ApplicationCommand{Name: "Subscribe", Description: "d"}, wantPath: `"name"`},
		{name: "a name with a space is refused", cmd: &discordgo.ApplicationCommand{Name: "sub scribe", Description: "d"}, wantPath: `"name"`},
		{name: "a missing description is refused", cmd: &discordgo.ApplicationCommand{Name: "subscribe"}, wantPath: `"description"`},
		{name: "a required option after an optional one is refused", cmd: &discordgo.ApplicationCommand{Name: "subscribe", Description: "d", Options: []*discordgo.ApplicationCommandOption{opt("a", false), opt("b", true)}}, wantPath: `"required"`},
		{name: "more than 25 options are refused", cmd: &discordgo.ApplicationCommand{Name: "subscribe", Description: "d", Options: many}, wantPath: `"options"`},
		{name: "a description over 100 characters is refused", cmd: &discordgo.ApplicationCommand{Name: "subscribe", Description: strings.Repeat("x", 101)}, wantPath: `"description"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.ApplicationCommandBulkOverwrite(srv.ApplicationID(), guildID, []*discordgo.ApplicationCommand{tt.cmd})
			restError(t, err, http.StatusBadRequest, CodeInvalidFormBody)
			var re *discordgo.RESTError
			if errors.As(err, &re) && !strings.Contains(string(re.ResponseBody), tt.wantPath) {
				t.Errorf("error body %s does not name %s", re.ResponseBody, tt.wantPath)
			}
		})
	}
	if got := srv.Commands(guildID); len(got) != 0 {
		t.Errorf("refused overwrites stored %d commands", len(got))
	}
}

func TestChannelMessageSendComplexIsRecorded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	sent, err := session.ChannelMessageSendComplex(alertsChannelID, &discordgo.MessageSend{
		Content:         "<@" + aliceID + "> @everyone Ransomware hits Tallinn port",
		Embeds:          []*discordgo.MessageEmbed{{Title: "Ransomware hits Tallinn port", URL: "https://example.org/a", Description: "Estonia's largest port..."}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := srv.Messages(alertsChannelID)
	if len(msgs) != 1 || msgs[0].ID != sent.ID || sent.ChannelID != alertsChannelID || sent.Author.ID != DefaultBotUserID {
		t.Fatalf("stored %+v and answered %+v, want one message from the bot", msgs, sent)
	}
	m := msgs[0]
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want an empty parse list", m.AllowedMentions)
	}
	if m.Pinged.Everyone || len(m.Pinged.Users) != 0 || sent.MentionEveryone || len(sent.Mentions) != 0 {
		t.Errorf("message pinged %+v (answer mentions %v), want nobody", m.Pinged, sent.Mentions)
	}
	if len(m.Embeds) != 1 || m.Embeds[0].Type != discordgo.EmbedTypeRich || sent.Embeds[0].Title != "Ransomware hits Tallinn port" {
		t.Errorf("embeds = %+v, want the rich embed", m.Embeds)
	}
	reqs := srv.RequestsTo(http.MethodPost, "/channels/"+alertsChannelID+"/messages")
	if len(reqs) != 1 {
		t.Fatalf("recorded %d message creates, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("Authorization") != srv.Token() || r.Route != routeMessageCreate {
		t.Errorf("recorded request = %+v, want bot authorization on the message route", r)
	}
	if am, _ := r.JSON.(map[string]any)["allowed_mentions"].(map[string]any); am == nil {
		t.Errorf("recorded body %s has no allowed_mentions", r.Body)
	}
}

func TestPingedFollowsAllowedMentions(t *testing.T) {
	t.Parallel()
	const content = "<@1> <@!2> <@&3> @here"
	// An author with MENTION_EVERYONE, in a guild where 3 is a role.
	rights := mentionRights{everyone: true, roles: map[string]bool{"3": false}}
	tests := []struct {
		name string
		am   *discordgo.MessageAllowedMentions
		want Mentions
	}{
		{name: "without allowed_mentions everything pings", am: nil, want: Mentions{Everyone: true, Users: []string{"1", "2"}, Roles: []string{"3"}}},
		{name: "an empty parse list pings nobody", am: &discordgo.MessageAllowedMentions{}, want: Mentions{}},
		{name: "parse users pings users only", am: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeUsers}}, want: Mentions{Users: []string{"1", "2"}}},
		{name: "listed users ping only if mentioned", am: &discordgo.MessageAllowedMentions{Users: []string{"2", "9"}}, want: Mentions{Users: []string{"2"}}},
		{name: "parse everyone pings everyone only", am: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeEveryone}}, want: Mentions{Everyone: true}},
		{name: "listed roles ping", am: &discordgo.MessageAllowedMentions{Roles: []string{"3"}}, want: Mentions{Roles: []string{"3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pinged(content, tt.am, rights)
			if got.Everyone != tt.want.Everyone || strings.Join(got.Users, ",") != strings.Join(tt.want.Users, ",") || strings.Join(got.Roles, ",") != strings.Join(tt.want.Roles, ",") {
				t.Errorf("pinged = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMessageCreateValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	embeds := func(n int) []*discordgo.MessageEmbed {
		out := make([]*discordgo.MessageEmbed, n)
		for i := range out {
			out[i] = &discordgo.MessageEmbed{Title: "t"}
		}
		return out
	}
	tests := []struct {
		name    string
		channel string
		msg     *discordgo.MessageSend
		status  int
		code    int
	}{
		{name: "content over 2000 characters is invalid", channel: alertsChannelID, msg: &discordgo.MessageSend{Content: strings.Repeat("é", 2001)}, status: 400, code: CodeInvalidFormBody},
		{name: "2000 multi-byte characters are fine", channel: alertsChannelID, msg: &discordgo.MessageSend{Content: strings.Repeat("é", 2000)}, status: 200},
		{name: "an empty message is refused", channel: alertsChannelID, msg: &discordgo.MessageSend{}, status: 400, code: CodeCannotSendEmptyMessage},
		{name: "eleven embeds are invalid", channel: alertsChannelID, msg: &discordgo.MessageSend{Embeds: embeds(11)}, status: 400, code: CodeInvalidFormBody},
		{name: "an embed title over 256 characters is invalid", channel: alertsChannelID, msg: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: strings.Repeat("t", 257)}}}, status: 400, code: CodeInvalidFormBody},
		{name: "embeds over 6000 characters in total are invalid", channel: alertsChannelID, msg: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("d", 4000)}, {Description: strings.Repeat("d", 2001)}}}, status: 400, code: CodeInvalidFormBody},
		{name: "an unknown channel is 404", channel: "1", msg: &discordgo.MessageSend{Content: "x"}, status: 404, code: CodeUnknownChannel},
		{name: "a category is not a text channel", channel: categoryID, msg: &discordgo.MessageSend{Content: "x"}, status: 400, code: 50008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.ChannelMessageSendComplex(tt.channel, tt.msg)
			if tt.status == http.StatusOK {
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				return
			}
			restError(t, err, tt.status, tt.code)
		})
	}
}

func TestMessagesCanBeEditedListedAndDeleted(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	var ids []string
	for _, text := range []string{"one", "two", "three"} {
		m, err := session.ChannelMessageSend(alertsChannelID, text)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	edited, err := session.ChannelMessageEdit(alertsChannelID, ids[0], "one, also reported by Reuters")
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if edited.EditedTimestamp == nil || edited.Content != "one, also reported by Reuters" {
		t.Errorf("edit answer = %+v, want new content and edited_timestamp", edited)
	}
	page, err := session.ChannelMessages(alertsChannelID, 2, "", "", "")
	if err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Fatalf("first page = %v (%v), want the two newest, newest first", page, err)
	}
	older, err := session.ChannelMessages(alertsChannelID, 2, ids[1], "", "")
	if err != nil || len(older) != 1 || older[0].ID != ids[0] || older[0].Content != "one, also reported by Reuters" {
		t.Fatalf("page before %s = %v (%v), want the edited first message", ids[1], older, err)
	}
	if err := session.ChannelMessageDelete(alertsChannelID, ids[1]); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got := srv.Messages(alertsChannelID); len(got) != 2 {
		t.Errorf("%d messages after delete, want 2", len(got))
	}
	_, err = session.ChannelMessageEdit(alertsChannelID, ids[1], "gone")
	restError(t, err, http.StatusNotFound, CodeUnknownMessage)
}

func TestRateLimitedRequestIsRetried(t *testing.T) {
	t.Parallel()
	for _, global := range []bool{false, true} {
		name := "a route 429 is waited out and retried once"
		if global {
			name = "a global 429 is waited out and retried once"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			session := restSession(t, srv)
			srv.FailNext(http.MethodPost, "/channels/*/messages", 1, TooManyRequests(100*time.Millisecond, global))
			start := time.Now()
			if _, err := session.ChannelMessageSend(alertsChannelID, "hello"); err != nil {
				t.Fatalf("send: %v", err)
			}
			if waited := time.Since(start); waited < 100*time.Millisecond {
				t.Errorf("discordgo retried after %v, before retry_after", waited)
			}
			if got := srv.Messages(alertsChannelID); len(got) != 1 {
				t.Errorf("%d messages, want exactly 1", len(got))
			}
			reqs := srv.RequestsTo(http.MethodPost, "/channels/*/messages")
			if len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
				t.Errorf("recorded %d requests, want a 429 then a 200", len(reqs))
			}
			if srv.RateLimited() != 0 {
				t.Errorf("RateLimited = %d, want injected 429s not counted", srv.RateLimited())
			}
		})
	}
}

func TestInjectedErrorsSurfaceAsRESTErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  *Fault
		status int
		code   int
	}{
		{name: "a 500 is a RESTError", fault: ServerError(http.StatusInternalServerError), status: 500, code: CodeGeneral},
		{name: "a 503 is a RESTError", fault: ServerError(http.StatusServiceUnavailable), status: 503, code: CodeGeneral},
		{name: "missing permissions is 403 with code 50013", fault: MissingPermissions(), status: 403, code: CodeMissingPermissions},
		{name: "missing access is 403 with code 50001", fault: MissingAccess(), status: 403, code: CodeMissingAccess},
		{name: "a deleted channel is 404 with code 10003", fault: UnknownChannel(), status: 404, code: CodeUnknownChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			session := restSession(t, srv)
			srv.FailNext(http.MethodPost, "/channels/*/messages", 1, tt.fault)
			_, err := session.ChannelMessageSend(alertsChannelID, "hello")
			restError(t, err, tt.status, tt.code)
			if got := srv.Messages(alertsChannelID); len(got) != 0 {
				t.Errorf("%d messages stored behind an error, want 0", len(got))
			}
			if _, err := session.ChannelMessageSend(alertsChannelID, "again"); err != nil {
				t.Errorf("the fault outlived n=1: %v", err)
			}
		})
	}
	t.Run("a single 502 is retried by discordgo", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		session := restSession(t, srv)
		srv.FailNext(http.MethodPost, "/channels/*/messages", 1, ServerError(http.StatusBadGateway))
		if _, err := session.ChannelMessageSend(alertsChannelID, "hello"); err != nil {
			t.Fatalf("send: %v", err)
		}
		if got := len(srv.RequestsTo(http.MethodPost, "/channels/*/messages")); got != 2 {
			t.Errorf("%d requests, want the 502 and its retry", got)
		}
	})
	t.Run("a fault committed after handling leaves the message behind a 500", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		session := restSession(t, srv)
		srv.FailNext(http.MethodPost, "/channels/*/messages", 1, &Fault{Commit: true, Status: http.StatusInternalServerError})
		_, err := session.ChannelMessageSend(alertsChannelID, "hello")
		restError(t, err, http.StatusInternalServerError, CodeGeneral)
		if got := srv.Messages(alertsChannelID); len(got) != 1 {
			t.Errorf("%d messages, want the one Discord accepted", len(got))
		}
	})
}

// nonceMessage is the raw body a delivery worker sends, since discordgo's
// MessageSend has no nonce field.
func nonceMessage(nonce string, enforce bool) map[string]any {
	return map[string]any{"content": "Ransomware hits Tallinn port", "nonce": nonce, "enforce_nonce": enforce}
}

func TestEnforceNonceReturnsTheExistingMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		nonces       []string
		enforce      bool
		wantMessages int
	}{
		{name: "the same nonce with enforce_nonce creates one message", nonces: []string{"story-42", "story-42"}, enforce: true, wantMessages: 1},
		{name: "the same nonce without enforce_nonce creates two", nonces: []string{"story-42", "story-42"}, enforce: false, wantMessages: 2},
		{name: "different nonces create two", nonces: []string{"story-42", "story-43"}, enforce: true, wantMessages: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			session := restSession(t, srv)
			endpoint := discordgo.EndpointChannelMessages(alertsChannelID)
			var ids []string
			for _, nonce := range tt.nonces {
				body, err := session.RequestWithBucketID(http.MethodPost, endpoint, nonceMessage(nonce, tt.enforce), endpoint)
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				var m discordgo.Message
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, m.ID)
			}
			msgs := srv.Messages(alertsChannelID)
			if len(msgs) != tt.wantMessages {
				t.Errorf("%d messages, want %d", len(msgs), tt.wantMessages)
			}
			if sameID := ids[0] == ids[1]; sameID != (tt.wantMessages == 1) {
				t.Errorf("answers had IDs %v; same ID = %v, want %v", ids, sameID, tt.wantMessages == 1)
			}
			if msgs[0].Nonce != tt.nonces[0] {
				t.Errorf("stored nonce = %q, want %q", msgs[0].Nonce, tt.nonces[0])
			}
		})
	}
}

func TestAcceptThenDropThenRetryWithNonce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	endpoint := discordgo.EndpointChannelMessages(alertsChannelID)
	srv.FailNext(http.MethodPost, "/channels/*/messages", 1, AcceptThenDrop())
	if _, err := session.RequestWithBucketID(http.MethodPost, endpoint, nonceMessage("story-7", true), endpoint); err == nil {
		t.Fatal("send through a dropped connection succeeded")
	}
	first := srv.Messages(alertsChannelID)
	if len(first) != 1 {
		t.Fatalf("%d messages after the drop, want the accepted one", len(first))
	}
	body, err := session.RequestWithBucketID(http.MethodPost, endpoint, nonceMessage("story-7", true), endpoint)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var m discordgo.Message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != first[0].ID || len(srv.Messages(alertsChannelID)) != 1 {
		t.Errorf("retry answered %s with %d messages stored, want the existing %s alone", m.ID, len(srv.Messages(alertsChannelID)), first[0].ID)
	}
	if reqs := srv.Requests(); !reqs[0].Dropped || reqs[0].Status != 0 {
		t.Errorf("first request recorded as %+v, want dropped", reqs[0])
	}
}

func TestRateLimitsAreEnforced(t *testing.T) {
	t.Parallel()
	limits := RateLimits{
		MessageCreate: Limit{Requests: 2, Per: 300 * time.Millisecond},
		Route:         Limit{Requests: 100, Per: time.Second},
		Global:        Limit{Requests: 100, Per: time.Second},
	}
	t.Run("discordgo honours the headers and never sees a 429", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, WithRateLimit(limits))
		session := restSession(t, srv)
		start := time.Now()
		for i := range 5 {
			if _, err := session.ChannelMessageSend(alertsChannelID, "alert "+string(rune('a'+i))); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if srv.RateLimited() != 0 {
			t.Errorf("RateLimited = %d, want 0", srv.RateLimited())
		}
		if elapsed := time.Since(start); elapsed < 600*time.Millisecond {
			t.Errorf("5 messages at 2 per 300ms took %v, want at least two windows", elapsed)
		}
		r := srv.Requests()[0]
		if r.Status != http.StatusOK {
			t.Fatalf("first request status %d", r.Status)
		}
	})
	t.Run("a client that ignores the headers gets 429 with Discord's body", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, WithRateLimit(limits))
		client := srv.HTTPClient()
		var last *http.Response
		var lastBody []byte
		for range 3 {
			req, err := http.NewRequest(http.MethodPost, discordgo.EndpointChannelMessages(alertsChannelID), strings.NewReader(`{"content":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", srv.Token())
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			lastBody, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			last = resp
		}
		if last.StatusCode != http.StatusTooManyRequests || srv.RateLimited() != 1 {
			t.Fatalf("third request = %d, RateLimited = %d; want 429 and 1", last.StatusCode, srv.RateLimited())
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket", "Retry-After"} {
			if last.Header.Get(h) == "" {
				t.Errorf("429 lacks %s", h)
			}
		}
		var body struct {
			Message    string  `json:"message"`
			RetryAfter float64 `json:"retry_after"`
			Global     *bool   `json:"global"`
		}
		if err := json.Unmarshal(lastBody, &body); err != nil || body.Message != "You are being rate limited." || body.RetryAfter <= 0 || body.RetryAfter > 0.3 || body.Global == nil || *body.Global {
			t.Errorf("429 body = %s, want Discord's shape with retry_after in (0, 0.3]", lastBody)
		}
	})
	t.Run("the global limit spans channels", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, WithRateLimit(RateLimits{Route: Limit{Requests: 100, Per: time.Second}, MessageCreate: Limit{Requests: 100, Per: time.Second}, Global: Limit{Requests: 2, Per: time.Minute}}))
		session := restSession(t, srv)
		session.ShouldRetryOnRateLimit = false
		for _, ch := range []string{alertsChannelID, otherChannelID} {
			if _, err := session.ChannelMessageSend(ch, "x"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := session.ChannelMessageSend(alertsChannelID, "x")
		var rl *discordgo.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("third send error = %v, want a RateLimitError", err)
		}
		if reqs := srv.Requests(); reqs[2].Status != http.StatusTooManyRequests {
			t.Errorf("third request status = %d, want 429", reqs[2].Status)
		}
	})
}

func TestUnknownRoutesAreRecorded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	_, err := session.Request(http.MethodGet, discordgo.EndpointAPI+"guilds/"+guildID+"/audit-logs", nil)
	restError(t, err, http.StatusNotFound, CodeGeneral)
	_, err = session.Request(http.MethodPost, discordgo.EndpointGuild(guildID), nil)
	restError(t, err, http.StatusMethodNotAllowed, CodeGeneral)
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Route != "" || reqs[0].Status != http.StatusNotFound || reqs[1].Status != http.StatusMethodNotAllowed {
		t.Errorf("recorded %+v, want the 404 and the 405", reqs)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session, err := srv.NewSession("Bot wrong")
	if err != nil {
		t.Fatal(err)
	}
	_, err = session.ChannelMessageSend(alertsChannelID, "x")
	restError(t, err, http.StatusUnauthorized, CodeGeneral)
}

func TestTransportRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resp, err := srv.HTTPClient().Get("https://example.com/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to example.com went through")
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("the fake recorded a request for another host")
	}
}

func TestChannelGuildAndUserRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	t.Run("GET channel returns the fixture channel", func(t *testing.T) {
		ch, err := session.Channel(alertsChannelID)
		if err != nil || ch.Name != "alerts" || ch.GuildID != guildID {
			t.Errorf("channel = %+v, %v", ch, err)
		}
	})
	t.Run("GET guild returns roles but no channels", func(t *testing.T) {
		g, err := session.Guild(guildID)
		if err != nil || len(g.Roles) != 3 || len(g.Channels) != 0 {
			t.Errorf("guild = %+v, %v", g, err)
		}
	})
	t.Run("GET member returns alice and 404s a stranger", func(t *testing.T) {
		m, err := session.GuildMember(guildID, aliceID)
		if err != nil || m.User.Username != "alice" {
			t.Errorf("member = %+v, %v", m, err)
		}
		_, err = session.GuildMember(guildID, "42")
		restError(t, err, http.StatusNotFound, CodeUnknownMember)
	})
	t.Run("a DM channel is created once per user", func(t *testing.T) {
		a, err := session.UserChannelCreate(aliceID)
		if err != nil || a.Type != discordgo.ChannelTypeDM || len(a.Recipients) != 1 {
			t.Fatalf("DM channel = %+v, %v", a, err)
		}
		b, err := session.UserChannelCreate(aliceID)
		if err != nil || b.ID != a.ID {
			t.Errorf("second DM channel = %+v, %v; want %s", b, err, a.ID)
		}
		if _, err := session.ChannelMessageSend(a.ID, "your briefing"); err != nil {
			t.Errorf("send to DM: %v", err)
		}
	})
	t.Run("GET users/@me is the bot", func(t *testing.T) {
		u, err := session.User("@me")
		if err != nil || u.ID != DefaultBotUserID || !u.Bot {
			t.Errorf("user = %+v, %v", u, err)
		}
	})
	t.Run("GET gateway/bot points at the fake", func(t *testing.T) {
		gb, err := session.GatewayBot()
		if err != nil || !strings.HasPrefix(gb.URL, srv.GatewayURL()) || gb.Shards != 1 {
			t.Errorf("gateway bot = %+v, %v", gb, err)
		}
	})
	t.Run("a deleted channel is gone", func(t *testing.T) {
		srv.DeleteChannel(otherChannelID)
		_, err := session.ChannelMessageSend(otherChannelID, "x")
		restError(t, err, http.StatusNotFound, CodeUnknownChannel)
	})
}

func TestMultipartMessageKeepsPayloadAndFiles(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	sent, err := session.ChannelMessageSendComplex(alertsChannelID, &discordgo.MessageSend{
		Content: "Daily briefing attached",
		Files:   []*discordgo.File{{Name: "briefing.md", ContentType: "text/markdown", Reader: strings.NewReader("# Briefing\n")}},
	})
	if err != nil {
		t.Fatalf("send with file: %v", err)
	}
	msgs := srv.Messages(alertsChannelID)
	if len(msgs) != 1 || msgs[0].Content != "Daily briefing attached" || len(msgs[0].Attachments) != 1 {
		t.Fatalf("stored %+v, want the content and one attachment", msgs)
	}
	if a := msgs[0].Attachments[0]; a.Filename != "briefing.md" || a.Size != int64(len("# Briefing\n")) {
		t.Errorf("attachment = %+v", a)
	}
	if len(sent.Attachments) != 1 || sent.Attachments[0].Filename != "briefing.md" {
		t.Errorf("answer attachments = %+v", sent.Attachments)
	}
	if r := srv.Requests()[0]; r.JSON == nil {
		t.Errorf("recorded body %q is not the payload_json", r.Body)
	}
}

func TestTheNonceWindowRunsOnTheFakesClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		wait    time.Duration
		wantNew bool
	}{
		{name: "a nonce reused within five minutes returns the first message", wait: nonceWindow - time.Second, wantNew: false},
		{name: "a nonce reused after five minutes creates a second message", wait: nonceWindow + time.Second, wantNew: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &manualClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
			srv := newServer(t, WithClock(clock.Now))
			session := restSession(t, srv)
			endpoint := discordgo.EndpointChannelMessages(alertsChannelID)
			send := func() string {
				t.Helper()
				body, err := session.RequestWithBucketID(http.MethodPost, endpoint, nonceMessage("story-42", true), endpoint)
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				var m discordgo.Message
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				return m.ID
			}
			first := send()
			// Only the fake's clock moves: the test takes no real time.
			clock.Advance(tt.wait)
			second := send()
			if gotNew := second != first; gotNew != tt.wantNew {
				t.Errorf("second send answered %s (first %s): new message = %v, want %v", second, first, gotNew, tt.wantNew)
			}
			if want := map[bool]int{false: 1, true: 2}[tt.wantNew]; len(srv.Messages(alertsChannelID)) != want {
				t.Errorf("%d messages stored, want %d", len(srv.Messages(alertsChannelID)), want)
			}
		})
	}
}

func TestEditsRecomputeMentionsAsDiscordDocuments(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session := restSession(t, srv)
	none := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	m, err := session.ChannelMessageSendComplex(alertsChannelID, &discordgo.MessageSend{Content: "<@" + aliceID + ">", AllowedMentions: none})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit *discordgo.MessageEdit
		want int
	}{
		{name: "an edit that leaves the content keeps the pings", edit: discordgo.NewMessageEdit(alertsChannelID, m.ID).SetEmbeds([]*discordgo.MessageEmbed{{Title: "t"}}), want: 0},
		{name: "an edit of the content with allowed_mentions follows them", edit: &discordgo.MessageEdit{ID: m.ID, Channel: alertsChannelID, Content: ptr("<@" + aliceID + "> again"), AllowedMentions: none}, want: 0},
		{name: "an edit of the content without allowed_mentions uses the defaults", edit: &discordgo.MessageEdit{ID: m.ID, Channel: alertsChannelID, Content: ptr("<@" + aliceID + "> once more")}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := session.ChannelMessageEditComplex(tt.edit); err != nil {
				t.Fatalf("edit: %v", err)
			}
			if got := len(srv.Messages(alertsChannelID)[0].Pinged.Users); got != tt.want {
				t.Errorf("%d users pinged after the edit, want %d", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
