package discordtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

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

// AddChannel adds a channel to its guild and sends CHANNEL_CREATE.
func (s *Server) AddChannel(ch *discordgo.Channel) {
	ch = cloneJSON(ch)
	s.mu.Lock()
	s.channels[ch.ID] = ch
	if g := s.guilds[ch.GuildID]; g != nil {
		g.Channels = append(g.Channels, ch)
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("CHANNEL_CREATE", mustJSON(ch))
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
		g.Channels = slices.DeleteFunc(g.Channels, func(c *discordgo.Channel) bool { return c.ID == channelID })
	}
	raw := mustJSON(ch)
	s.notifyLocked()
	s.mu.Unlock()
	s.dispatchAll("CHANNEL_DELETE", raw)
}

// dispatchAll sends an event to live sessions, if there are any.
func (s *Server) dispatchAll(event string, raw json.RawMessage) {
	sessions := s.liveSessions()
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
	for _, ch := range g.Channels {
		if ch.GuildID == "" {
			ch.GuildID = g.ID
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
	return ok(map[string]any{
		"url":    s.GatewayURL(),
		"shards": 1,
		// Discord: 1000 identifies per day for most bots.
		"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1},
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
	perms := s.botChannelPermissionsLocked(chID)
	send := int64(discordgo.PermissionSendMessages)
	if ch.IsThread() {
		send = discordgo.PermissionSendMessagesInThreads
	}
	switch {
	case perms&discordgo.PermissionViewChannel == 0:
		return fail(http.StatusForbidden, CodeMissingAccess, "Missing Access")
	case perms&send == 0:
		return fail(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
	case perms&discordgo.PermissionEmbedLinks == 0:
		// Discord posts the message without the embeds of an author who
		// lacks Embed Links.
		body.Embeds = nil
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
		Pinged:          s.mentionRulesLocked(ch.GuildID, pinged(body.content(), body.AllowedMentions)),
		Nonce:           nonce,
		Flags:           body.Flags,
		TTS:             body.TTS,
		Attachments:     rc.atts,
		Timestamp:       rc.now,
	}
	s.messages[chID] = append(s.messages[chID], m)
	s.notifyLocked()
	return ok(m.wire(s.users))
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

func (s *Server) listMessages(rc *restCall) answer {
	q := rc.r.URL.Query()
	limit := defaultMessagesPerPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMessagesPerPage {
			errs := formErrors{}
			errs.add("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
			return invalidForm(errs)
		}
		limit = n
	}
	before, after := snowflakeParam(q.Get("before")), snowflakeParam(q.Get("after"))
	s.mu.Lock()
	defer s.mu.Unlock()
	chID := rc.r.PathValue("channel")
	if s.channels[chID] == nil {
		return fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
	}
	out := []wireMessage{}
	perms := s.botChannelPermissionsLocked(chID)
	if perms&discordgo.PermissionViewChannel == 0 {
		return fail(http.StatusForbidden, CodeMissingAccess, "Missing Access")
	}
	if perms&discordgo.PermissionReadMessageHistory == 0 {
		// Discord: "If the current user is missing the
		// READ_MESSAGE_HISTORY permission in the channel, then no messages
		// will be returned."
		return ok(out)
	}
	// Discord returns the newest messages first.
	for _, m := range slices.Backward(s.messages[chID]) {
		id := snowflakeParam(m.ID)
		if (before != 0 && id >= before) || (after != 0 && id <= after) {
			continue
		}
		out = append(out, m.wire(s.users))
		if len(out) == limit {
			break
		}
	}
	return ok(out)
}

func snowflakeParam(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

// channelMessageLocked finds a message; s.mu held.
func (s *Server) channelMessageLocked(chID, msgID string) (*Message, answer, bool) {
	if s.channels[chID] == nil {
		return nil, fail(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel"), false
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
	return s.applyEditLocked(m, rc)
}

func (s *Server) deleteMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	chID := rc.r.PathValue("channel")
	if _, a, found := s.channelMessageLocked(chID, rc.r.PathValue("message")); !found {
		return a
	}
	s.removeMessageLocked(chID, rc.r.PathValue("message"))
	return noContent()
}

func (s *Server) removeMessageLocked(chID, msgID string) {
	s.messages[chID] = slices.DeleteFunc(s.messages[chID], func(m *Message) bool { return m.ID == msgID })
	s.notifyLocked()
}

// applyEditLocked applies a PATCH body to m with Discord's semantics: fields
// present replace, null clears, absent fields stay.
func (s *Server) applyEditLocked(m *Message, rc *restCall) answer {
	var fields map[string]json.RawMessage
	if !decodeBody(rc, &fields) {
		return badJSON()
	}
	next := messageBody{Components: m.Components, AllowedMentions: m.AllowedMentions, Flags: m.Flags}
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
	if next.isEmpty(m.Attachments) {
		return fail(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
	}
	m.Content = content
	m.Embeds = withRichType(next.Embeds)
	m.Components = next.Components
	m.AllowedMentions = next.AllowedMentions
	m.Flags = next.Flags &^ discordgo.MessageFlagsLoading
	m.Pinged = s.mentionRulesLocked(m.GuildID, pinged(content, next.AllowedMentions))
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

// mentionRulesLocked keeps the pings Discord delivers for the bot: a role is
// notified only if it exists, and is mentionable or the bot has Mention
// Everyone; @everyone and @here need Mention Everyone (topics/permissions,
// MENTION_EVERYONE). s.mu held.
func (s *Server) mentionRulesLocked(guildID string, m Mentions) Mentions {
	g := s.guilds[guildID]
	if g == nil {
		return m
	}
	perms := s.botPermissionsLocked(guildID)
	everyone := perms&(discordgo.PermissionMentionEveryone|discordgo.PermissionAdministrator) != 0
	m.Everyone = m.Everyone && everyone
	var roles []string
	for _, id := range m.Roles {
		for _, r := range g.Roles {
			if r.ID == id && r.ID != guildID && (r.Mentionable || everyone) {
				roles = append(roles, id)
			}
		}
	}
	m.Roles = roles
	return m
}
