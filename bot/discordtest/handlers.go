package discordtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// maxMessagesPerPage bounds GET /channels/{id}/messages (Discord: limit 1-100,
// default 50).
const (
	maxMessagesPerPage     = 100
	defaultMessagesPerPage = 50
)

// AddGuild adds a guild, as if the bot had just joined it, and sends
// GUILD_CREATE to live sessions.
func (s *Server) AddGuild(g *discordgo.Guild) {
	g = cloneJSON(g)
	s.mu.Lock()
	s.addGuildLocked(g)
	raw := mustJSON(g)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("GUILD_CREATE", raw)
}

// AddChannel adds a channel to its guild and sends CHANNEL_CREATE. A thread
// (types 10, 11 and 12) joins the guild's threads instead, gets
// ThreadMetadata if it has none, and is announced with THREAD_CREATE, as
// Discord keeps threads apart from channels (Discord: "Threads").
func (s *Server) AddChannel(ch *discordgo.Channel) {
	ch = cloneJSON(ch)
	s.mu.Lock()
	s.channels[ch.ID] = ch
	event := "CHANNEL_CREATE"
	if ch.IsThread() {
		event = "THREAD_CREATE"
		s.threadMetadataLocked(ch)
	}
	if g := s.guilds[ch.GuildID]; g != nil {
		if ch.IsThread() {
			g.Threads = append(g.Threads, ch)
		} else {
			g.Channels = append(g.Channels, ch)
		}
	}
	raw := mustJSON(ch)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll(event, raw)
}

// SetChannelOverwrites replaces a channel's permission overwrites, as an
// admin editing its permissions does, and sends CHANNEL_UPDATE. The bot's
// and every member's permissions there follow at once.
func (s *Server) SetChannelOverwrites(channelID string, overwrites []*discordgo.PermissionOverwrite) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil {
		s.mu.Unlock()
		s.tb.Errorf("SetChannelOverwrites %s: no such channel", channelID)
		return
	}
	ch.PermissionOverwrites = cloneJSON(overwrites)
	raw := mustJSON(ch)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("CHANNEL_UPDATE", raw)
}

// SetRole creates or replaces a guild role by ID, as an admin editing roles
// does, and sends GUILD_ROLE_CREATE or GUILD_ROLE_UPDATE. The role whose ID
// is the guild's is @everyone; setting it ends the default permissions the
// fake assumes for a guild without one.
func (s *Server) SetRole(guildID string, r *discordgo.Role) {
	r = cloneJSON(r)
	s.mu.Lock()
	g := s.guilds[guildID]
	if g == nil {
		s.mu.Unlock()
		s.tb.Errorf("SetRole %s: no such guild", guildID)
		return
	}
	event := "GUILD_ROLE_CREATE"
	i := slices.IndexFunc(g.Roles, func(old *discordgo.Role) bool { return old.ID == r.ID })
	if i >= 0 {
		g.Roles[i] = r
		event = "GUILD_ROLE_UPDATE"
	} else {
		g.Roles = append(g.Roles, r)
	}
	raw := mustJSON(map[string]any{"guild_id": guildID, "role": r})
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll(event, raw)
}

// SetMemberRoles replaces a member's roles and sends GUILD_MEMBER_UPDATE.
// The bot is a member of every guild the fake knows even when the guild's
// member list leaves it out; it is added on first use.
func (s *Server) SetMemberRoles(guildID, userID string, roles []string) {
	s.mu.Lock()
	g := s.guilds[guildID]
	if g == nil {
		s.mu.Unlock()
		s.tb.Errorf("SetMemberRoles %s: no such guild", guildID)
		return
	}
	m := s.memberLocked(guildID, userID)
	if m == nil && userID == s.cfg.bot.ID {
		bot := s.cfg.bot
		m = &discordgo.Member{GuildID: guildID, User: &bot, JoinedAt: s.cfg.now()}
		g.Members = append(g.Members, m)
		g.MemberCount++
	}
	if m == nil {
		s.mu.Unlock()
		s.tb.Errorf("SetMemberRoles %s: %s is not a member", guildID, userID)
		return
	}
	m.Roles = slices.Clone(roles)
	raw := mustJSON(map[string]any{"guild_id": guildID, "roles": m.Roles, "user": userJSON(m.User), "nick": m.Nick, "joined_at": m.JoinedAt})
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("GUILD_MEMBER_UPDATE", raw)
}

// ArchiveThread archives a thread, and locks it when locked is true, as a
// moderator closing it does, and sends THREAD_UPDATE. A message from the bot
// unarchives an unlocked thread again; a locked one refuses the bot's posts
// and edits unless the bot has MANAGE_THREADS (Discord: "Threads", "Locked
// Threads" and "Active & Archived Threads").
func (s *Server) ArchiveThread(channelID string, locked bool) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil || !ch.IsThread() {
		s.mu.Unlock()
		s.tb.Errorf("ArchiveThread %s: no such thread", channelID)
		return
	}
	md := s.threadMetadataLocked(ch)
	md.Archived, md.Locked, md.ArchiveTimestamp = true, locked, s.cfg.now()
	raw := mustJSON(ch)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("THREAD_UPDATE", raw)
}

// threadMetadataLocked returns a thread's metadata, giving it an active one
// if it had none; s.mu held.
func (s *Server) threadMetadataLocked(ch *discordgo.Channel) *discordgo.ThreadMetadata {
	if ch.ThreadMetadata == nil {
		// Discord: auto_archive_duration is one of 60, 1440, 4320 and
		// 10080 minutes; the client's default is a day.
		ch.ThreadMetadata = &discordgo.ThreadMetadata{AutoArchiveDuration: 1440, ArchiveTimestamp: s.cfg.now()}
	}
	return ch.ThreadMetadata
}

// DeleteChannel removes a channel, so that later requests for it get 404
// Unknown Channel, and sends CHANNEL_DELETE.
func (s *Server) DeleteChannel(channelID string) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil {
		s.mu.Unlock()
		s.tb.Errorf("DeleteChannel %s: no such channel", channelID)
		return
	}
	delete(s.channels, channelID)
	delete(s.messages, channelID)
	if g := s.guilds[ch.GuildID]; g != nil {
		this := func(c *discordgo.Channel) bool { return c.ID == channelID }
		g.Channels = slices.DeleteFunc(g.Channels, this)
		g.Threads = slices.DeleteFunc(g.Threads, this)
	}
	event := "CHANNEL_DELETE"
	if ch.IsThread() {
		event = "THREAD_DELETE"
	}
	raw := mustJSON(ch)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll(event, raw)
}

// dispatchAll sends an event to live sessions, if there are any.
func (s *Server) dispatchAll(event string, raw json.RawMessage) {
	sessions := s.sessionsFor(eventGuild(event, raw))
	if len(sessions) > 0 {
		s.touch(func(st *GatewayStats) { st.Dispatched += len(sessions) })
	}
	for _, gs := range sessions {
		gs.mu.Lock()
		gs.dispatchLocked(event, raw)
		gs.mu.Unlock()
	}
}

// addGuildLocked indexes a guild's channels and members; s.mu held.
func (s *Server) addGuildLocked(g *discordgo.Guild) {
	if _, ok := s.guilds[g.ID]; !ok {
		s.guildOrder = append(s.guildOrder, g.ID)
	}
	s.guilds[g.ID] = g
	for _, ch := range slices.Concat(g.Channels, g.Threads) {
		if ch.GuildID == "" {
			ch.GuildID = g.ID
		}
		if ch.IsThread() {
			s.threadMetadataLocked(ch)
		}
		s.channels[ch.ID] = ch
	}
	for _, m := range g.Members {
		m.GuildID = g.ID
		if m.User != nil {
			s.users[m.User.ID] = m.User
		}
	}
	if g.MemberCount == 0 {
		g.MemberCount = len(g.Members)
	}
}

func (s *Server) getGateway(*restCall) answer {
	return ok(map[string]string{"url": s.GatewayURL()})
}

func (s *Server) getGatewayBot(*restCall) answer {
	s.mu.Lock()
	shards := s.cfg.shards
	left, resetAfter := s.sessionStartsLeftLocked(time.Now())
	s.mu.Unlock()
	return ok(map[string]any{
		"url":    s.GatewayURL(),
		"shards": shards,
		"session_start_limit": map[string]int64{"total": int64(s.cfg.sessionStarts), "remaining": int64(max(left, 0)),
			"reset_after": resetAfter.Milliseconds(), "max_concurrency": int64(s.cfg.maxConcurrency)},
	})
}

func (s *Server) getMe(*restCall) answer { return ok(s.selfUser()) }

// selfUser is the bot's own user object as READY and /users/@me carry it.
func (s *Server) selfUser() map[string]any {
	u := userJSON(&s.cfg.bot)
	return map[string]any{
		"id": u.ID, "username": u.Username, "discriminator": u.Discriminator, "global_name": u.GlobalName,
		"avatar": u.Avatar, "bot": true, "verified": true, "mfa_enabled": false, "email": nil, "flags": 0,
	}
}

func (s *Server) createDM(rc *restCall) answer {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if !decodeBody(rc, &body) {
		return badJSON()
	}
	if body.RecipientID == "" {
		errs := formErrors{}
		errs.add("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
		return invalidForm(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, found := s.dmChannelLocked(body.RecipientID)
	if !found {
		return fail(http.StatusNotFound, CodeUnknownUser, "Unknown User")
	}
	return ok(ch)
}

// dmChannelLocked returns the DM channel with a known user, creating it once.
func (s *Server) dmChannelLocked(userID string) (*discordgo.Channel, bool) {
	if id, ok := s.dmChannels[userID]; ok {
		return s.channels[id], true
	}
	u := s.users[userID]
	if u == nil {
		return nil, false
	}
	ch := &discordgo.Channel{ID: s.ids.next(), Type: discordgo.ChannelTypeDM, Recipients: []*discordgo.User{u}}
	s.channels[ch.ID] = ch
	s.dmChannels[userID] = ch.ID
	s.notifyLocked()
	return ch, true
}

func (s *Server) getChannel(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[rc.r.PathValue("channel")]
	if ch == nil {
		return fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
	}
	if s.botEffectivePermissionsLocked(ch)&discordgo.PermissionViewChannel == 0 {
		return missingAccess()
	}
	return ok(ch)
}

// textChannel reports whether messages can be posted in a channel type.
func textChannel(t discordgo.ChannelType) bool {
	switch t {
	case discordgo.ChannelTypeGuildCategory, discordgo.ChannelTypeGuildForum,
		discordgo.ChannelTypeGuildMedia, discordgo.ChannelTypeGuildDirectory:
		return false
	}
	return true
}

func (s *Server) createMessage(rc *restCall) answer {
	var body messageBody
	if !decodeBody(rc, &body) {
		return badJSON()
	}
	chID := rc.r.PathValue("channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[chID]
	if ch == nil {
		return fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
	}
	if !textChannel(ch.Type) {
		return fail(http.StatusBadRequest, 50008, "Cannot send messages in a non-text channel")
	}
	perms := s.botEffectivePermissionsLocked(ch)
	if a, refused := postRefusal(ch, perms); refused {
		return a
	}
	errs := formErrors{}
	nonce, err := parseNonce(body.Nonce)
	if err != nil {
		errs.add("nonce", "NONCE_TYPE_INVALID", "Nonce must be an integer or string.")
	} else if len(nonce) > maxNonceLength {
		errs.add("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	validateMessage(body.content(), body.Embeds, body.AllowedMentions, errs)
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	if perms&discordgo.PermissionEmbedLinks == 0 {
		// The API reference says only that EMBED_LINKS lets links embed;
		// Discord also drops the rich embeds of an author without it and
		// posts the rest, or nothing when nothing is left.
		body.Embeds = nil
	}
	if body.isEmpty(rc.atts) {
		return fail(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
	}
	if body.EnforceNonce && nonce != "" {
		// Discord: with enforce_nonce, a nonce seen from the same author in
		// the past few minutes returns that message instead of a new one.
		for _, m := range slices.Backward(s.messages[chID]) {
			if m.Nonce == nonce && m.Author.ID == s.cfg.bot.ID && rc.now.Sub(m.Timestamp) < nonceWindow {
				return ok(m.wire(s.users))
			}
		}
	}
	m := &Message{
		ID:              s.ids.next(),
		ChannelID:       chID,
		GuildID:         ch.GuildID,
		Type:            discordgo.MessageTypeDefault,
		Author:          s.cfg.bot,
		Content:         body.content(),
		Embeds:          withRichType(body.Embeds),
		Components:      body.Components,
		AllowedMentions: body.AllowedMentions,
		Pinged:          pinged(body.content(), body.AllowedMentions, s.mentionRightsLocked(chID)),
		Nonce:           nonce,
		Flags:           body.Flags,
		TTS:             body.TTS,
		Attachments:     rc.atts,
		Timestamp:       rc.now,
	}
	s.messages[chID] = append(s.messages[chID], m)
	if md := ch.ThreadMetadata; ch.IsThread() && md != nil && md.Archived {
		// Discord: "Sending a message will automatically unarchive the
		// thread", announced with THREAD_UPDATE (Discord: "Threads").
		md.Archived, md.ArchiveTimestamp = false, rc.now
		rc.dispatch("THREAD_UPDATE", mustJSON(ch))
	}
	s.notifyLocked()
	return ok(m.wire(s.users))
}

// postRefusal is Discord's answer when the bot, with perms (effective) in
// ch, may not post or edit there: 403 Missing Access without VIEW_CHANNEL,
// 403 Missing Permissions without the right to send (SEND_MESSAGES, or
// SEND_MESSAGES_IN_THREADS in a thread), and in a locked thread, without
// MANAGE_THREADS, 403 Thread is archived or Thread is locked.
func postRefusal(ch *discordgo.Channel, perms int64) (answer, bool) {
	switch {
	case perms&discordgo.PermissionViewChannel == 0:
		return missingAccess(), true
	case perms&sendPermission(ch) == 0:
		return fail(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions"), true
	}
	// Discord: "Users won't be able to create or update messages in locked
	// threads" without MANAGE_THREADS, and only they may unarchive one.
	if md := ch.ThreadMetadata; ch.IsThread() && md != nil && md.Locked && perms&discordgo.PermissionManageThreads == 0 {
		if md.Archived {
			return fail(http.StatusForbidden, CodeThreadArchived, "Thread is archived"), true
		}
		return fail(http.StatusForbidden, CodeThreadLocked, "Thread is locked"), true
	}
	return answer{}, false
}

func missingAccess() answer {
	return fail(http.StatusForbidden, CodeMissingAccess, "Missing Access")
}

// withRichType fills the embed type Discord defaults to.
func withRichType(embeds []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	for _, e := range embeds {
		if e != nil && e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	return embeds
}

// listMessages is Get Channel Messages (Discord: "Get Channel Messages"):
// newest first; before gives the newest messages older than the ID, after
// the oldest messages newer than it (those right after it), around those on
// both sides of it. Only one of the three may be given.
func (s *Server) listMessages(rc *restCall) answer {
	q := rc.r.URL.Query()
	errs := formErrors{}
	limit := defaultMessagesPerPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMessagesPerPage {
			errs.add("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
		}
		limit = n
	}
	anchors := 0
	var anchor uint64
	var mode string
	for _, key := range []string{"around", "before", "after"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		anchors++
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs.add(key, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value \"%s\" is not snowflake.", v))
		}
		anchor, mode = n, key
	}
	if anchors > 1 {
		// Discord: "The before, after, and around parameters are mutually
		// exclusive, only one may be passed at a time."
		errs.add(mode, "MESSAGE_LIST_QUERY_EXCLUSIVE", "before, after and around are mutually exclusive.")
	}
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chID := rc.r.PathValue("channel")
	ch := s.channels[chID]
	if ch == nil {
		return fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
	}
	out := []wireMessage{}
	perms := s.botEffectivePermissionsLocked(ch)
	if perms&discordgo.PermissionViewChannel == 0 {
		return missingAccess()
	}
	if perms&discordgo.PermissionReadMessageHistory == 0 {
		// Discord: "If the current user is missing the
		// READ_MESSAGE_HISTORY permission in the channel, then no messages
		// will be returned."
		return ok(out)
	}
	for _, m := range pageOfMessages(s.messages[chID], mode, anchor, limit) {
		out = append(out, m.wire(s.users))
	}
	return ok(out)
}

// pageOfMessages picks a page from msgs (oldest first, as stored) and
// returns it newest first.
func pageOfMessages(msgs []*Message, mode string, anchor uint64, limit int) []*Message {
	id := func(m *Message) uint64 { return snowflakeParam(m.ID) }
	// older returns up to n messages with IDs below (or up to, with
	// inclusive) the anchor, newest first; newer up to n above it, oldest
	// first.
	older := func(n int, inclusive bool) []*Message {
		var page []*Message
		for _, m := range slices.Backward(msgs) {
			if len(page) == n {
				break
			}
			if id(m) < anchor || (inclusive && id(m) == anchor) {
				page = append(page, m)
			}
		}
		return page
	}
	newer := func(n int) []*Message {
		var page []*Message
		for _, m := range msgs {
			if len(page) == n {
				break
			}
			if id(m) > anchor {
				page = append(page, m)
			}
		}
		return page
	}
	switch mode {
	case "before":
		return older(limit, false)
	case "after":
		page := newer(limit)
		slices.Reverse(page)
		return page
	case "around":
		// The anchor and the older half, then the newer half, so that
		// the page is centred on the anchor.
		after := newer(limit / 2)
		slices.Reverse(after)
		return append(after, older(limit-len(after), true)...)
	default:
		anchor = math.MaxUint64
		return older(limit, false)
	}
}

func snowflakeParam(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

// channelMessageLocked finds a message in a channel the bot can see; s.mu
// held.
func (s *Server) channelMessageLocked(chID, msgID string) (*Message, answer, bool) {
	ch := s.channels[chID]
	if ch == nil {
		return nil, fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel"), false
	}
	if s.botEffectivePermissionsLocked(ch)&discordgo.PermissionViewChannel == 0 {
		return nil, missingAccess(), false
	}
	for _, m := range s.messages[chID] {
		if m.ID == msgID {
			return m, answer{}, true
		}
	}
	return nil, fail(http.StatusNotFound, CodeUnknownMessage, "Unknown Message"), false
}

func (s *Server) getMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, a, found := s.channelMessageLocked(rc.r.PathValue("channel"), rc.r.PathValue("message"))
	if !found {
		return a
	}
	// Discord: Get Channel Message needs VIEW_CHANNEL and
	// READ_MESSAGE_HISTORY.
	if s.botEffectivePermissionsLocked(s.channels[m.ChannelID])&discordgo.PermissionReadMessageHistory == 0 {
		return fail(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
	}
	return ok(m.wire(s.users))
}

func (s *Server) editMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, a, found := s.channelMessageLocked(rc.r.PathValue("channel"), rc.r.PathValue("message"))
	if !found {
		return a
	}
	if m.Author.ID != s.cfg.bot.ID {
		return fail(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	}
	// An author's edit follows the author's channel rights, as a post does:
	// without EMBED_LINKS the embeds go.
	perms := s.botEffectivePermissionsLocked(s.channels[m.ChannelID])
	return s.applyEditLocked(m, rc, perms&discordgo.PermissionEmbedLinks != 0)
}

func (s *Server) deleteMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	chID := rc.r.PathValue("channel")
	m, a, found := s.channelMessageLocked(chID, rc.r.PathValue("message"))
	if !found {
		return a
	}
	// Discord: deleting another user's message needs MANAGE_MESSAGES.
	// Deleting is the one thing allowed in an archived thread.
	if m.Author.ID != s.cfg.bot.ID && s.botEffectivePermissionsLocked(s.channels[chID])&discordgo.PermissionManageMessages == 0 {
		return fail(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
	}
	s.removeMessageLocked(chID, m.ID)
	return noContent()
}

func (s *Server) removeMessageLocked(chID, msgID string) {
	s.messages[chID] = slices.DeleteFunc(s.messages[chID], func(m *Message) bool { return m.ID == msgID })
	s.notifyLocked()
}

// applyEditLocked applies a PATCH body to m with Discord's semantics: fields
// present replace, null clears, absent fields stay. An edited content gets
// its mentions anew under the edit's allowed_mentions, or under the default
// allowances when the edit has none, whatever the original post said
// (Discord: "Edit Message"). embeds says whether the editor may embed.
// Nothing can be edited in an archived thread.
func (s *Server) applyEditLocked(m *Message, rc *restCall, embeds bool) answer {
	var fields map[string]json.RawMessage
	if !decodeBody(rc, &fields) {
		return badJSON()
	}
	if ch := s.channels[m.ChannelID]; ch != nil && ch.IsThread() && ch.ThreadMetadata != nil {
		// Discord: "Users cannot edit messages ... in archived threads",
		// code 50083; nor, without MANAGE_THREADS, in locked ones.
		if ch.ThreadMetadata.Archived {
			return fail(http.StatusBadRequest, CodeThreadArchived, "Thread is archived")
		}
		if ch.ThreadMetadata.Locked && s.botEffectivePermissionsLocked(ch)&discordgo.PermissionManageThreads == 0 {
			return fail(http.StatusForbidden, CodeThreadLocked, "Thread is locked")
		}
	}
	next := messageBody{Components: m.Components, Flags: m.Flags}
	if _, edited := fields["content"]; !edited {
		next.AllowedMentions = m.AllowedMentions
	}
	content := m.Content
	next.Content = &content
	next.Embeds = m.Embeds
	var err error
	for key, raw := range fields {
		null := string(raw) == "null"
		switch key {
		case "content":
			content = ""
			if !null {
				err = json.Unmarshal(raw, &content)
			}
		case "embeds":
			next.Embeds = nil
			if !null {
				err = json.Unmarshal(raw, &next.Embeds)
			}
		case "components":
			next.Components = nil
			if !null {
				next.Components = raw
			}
		case "allowed_mentions":
			next.AllowedMentions = nil
			if !null {
				err = json.Unmarshal(raw, &next.AllowedMentions)
			}
		case "flags":
			if !null {
				var f discordgo.MessageFlags
				if err = json.Unmarshal(raw, &f); err == nil {
					// Discord: only SUPPRESS_EMBEDS can be toggled by an edit.
					next.Flags = next.Flags&^discordgo.MessageFlagsSuppressEmbeds | f&discordgo.MessageFlagsSuppressEmbeds
				}
			}
		}
		if err != nil {
			return badJSON()
		}
	}
	errs := formErrors{}
	validateMessage(content, next.Embeds, next.AllowedMentions, errs)
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	if _, replaced := fields["embeds"]; replaced && !embeds {
		next.Embeds = nil
	}
	if next.isEmpty(m.Attachments) {
		return fail(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
	}
	if _, edited := fields["content"]; edited {
		m.Pinged = pinged(content, next.AllowedMentions, s.mentionRightsLocked(m.ChannelID))
	}
	m.Content = content
	m.Embeds = withRichType(next.Embeds)
	m.Components = next.Components
	m.AllowedMentions = next.AllowedMentions
	m.Flags = next.Flags &^ discordgo.MessageFlagsLoading
	m.EditedTimestamp = rc.now
	s.notifyLocked()
	return ok(m.wire(s.users))
}

func (s *Server) getGuild(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[rc.r.PathValue("guild")]
	if g == nil {
		return fail(http.StatusNotFound, CodeUnknownGuild, "Unknown Guild")
	}
	// Discord's GET /guilds/{id} carries neither channels nor members.
	out := *g
	out.Channels, out.Members, out.VoiceStates, out.Presences, out.Threads = nil, nil, nil, nil, nil
	return ok(out)
}

func (s *Server) getGuildChannels(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[rc.r.PathValue("guild")]
	if g == nil {
		return fail(http.StatusNotFound, CodeUnknownGuild, "Unknown Guild")
	}
	out := g.Channels
	if out == nil {
		out = []*discordgo.Channel{}
	}
	return ok(out)
}

func (s *Server) getMember(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[rc.r.PathValue("guild")]
	if g == nil {
		return fail(http.StatusNotFound, CodeUnknownGuild, "Unknown Guild")
	}
	uid := rc.r.PathValue("user")
	for _, m := range g.Members {
		if m.User != nil && m.User.ID == uid {
			return ok(m)
		}
	}
	return fail(http.StatusNotFound, CodeUnknownMember, "Unknown Member")
}
