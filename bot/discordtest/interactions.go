package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	// interactionAckDeadline is how long a bot has to answer the callback.
	// Discord: "you must send an initial response within 3 seconds".
	interactionAckDeadline = 3 * time.Second
	// interactionTokenLifetime is how long follow-ups and edits work.
	// Discord: "Interaction tokens are valid for 15 minutes".
	interactionTokenLifetime = 15 * time.Minute
)

// User is someone who invokes an interaction.
type User struct {
	ID       string
	Username string
}

// Member is a guild member who invokes an interaction. Permissions are the
// member's computed permissions in the channel, which Discord sends with
// every guild interaction.
type Member struct {
	User
	Nick        string
	Roles       []string
	Permissions int64
	// Granted says a server admin allowed this member the command under
	// Server Settings → Integrations, which overrides the command's
	// default_member_permissions. Without it, a member lacking those
	// permissions cannot invoke the command: Discord's client hides it.
	Granted bool
}

// CommandOption is one option of an interaction's data.
type CommandOption = discordgo.ApplicationCommandInteractionDataOption

// StringOption is a STRING option.
func StringOption(name, value string) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

// IntegerOption is an INTEGER option.
func IntegerOption(name string, value int64) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: value}
}

// NumberOption is a NUMBER (double) option.
func NumberOption(name string, value float64) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: value}
}

// BoolOption is a BOOLEAN option.
func BoolOption(name string, value bool) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: value}
}

// ChannelOption is a CHANNEL option; a known channel is added to the
// interaction's resolved data.
func ChannelOption(name, channelID string) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: channelID}
}

// RoleOption is a ROLE option; a known role is added to resolved data.
func RoleOption(name, roleID string) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionRole, Value: roleID}
}

// UserOption is a USER option; a known user is added to resolved data.
func UserOption(name, userID string) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionUser, Value: userID}
}

// Subcommand is a SUB_COMMAND with its options.
func Subcommand(name string, opts ...*CommandOption) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

// SubcommandGroup is a SUB_COMMAND_GROUP with its subcommands.
func SubcommandGroup(name string, subs ...*CommandOption) *CommandOption {
	return &CommandOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: subs}
}

// Focused marks the option the user is typing in, for Autocomplete.
func Focused(o *CommandOption) *CommandOption {
	o.Focused = true
	return o
}

// SlashCommand dispatches an APPLICATION_COMMAND interaction for a chat-input
// command invoked by member in a guild channel, and returns the interaction as
// discordgo decodes it. The command's ID is the registered one when the bot
// registered the command for the guild or globally.
//
// Discord's client only lets a member invoke what it offers them, so asking
// for what it would not is a test bug: SlashCommand fails the test and
// returns nil when member lacks the registered command's
// default_member_permissions (see CanUse), or when a ROLE option names no
// role of the guild.
func (s *Server) SlashCommand(guildID, channelID string, member Member, name string, options ...*CommandOption) *discordgo.Interaction {
	s.tb.Helper()
	if !s.offered("SlashCommand", guildID, channelID, member, name) {
		return nil
	}
	return s.interact(discordgo.InteractionApplicationCommand, guildID, channelID, &member, member.User, name, options)
}

// CanUse reports whether Discord offers a registered chat-input command to
// member in a guild, judged by the command's default_member_permissions
// (Discord: "Application Commands", "Permissions"): the member needs every
// permission in the set, ADMINISTRATOR and guild ownership pass, "0" lets
// only admins through, and no set lets everyone through. Member.Granted
// stands for an admin's explicit grant, which passes too. The member's
// permissions are Member.Permissions when set, and otherwise computed from
// the guild's roles (see Permissions). A command registered neither for the
// guild nor globally is offered to no one. CanUseIn judges a channel's
// overwrites too.
func (s *Server) CanUse(guildID string, member Member, name string) bool {
	return s.CanUseIn(guildID, "", member, name)
}

// CanUseIn is CanUse in a channel: when Member.Permissions is zero, the
// member's permissions there, overwrites included, are what count.
func (s *Server) CanUseIn(guildID, channelID string, member Member, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := s.chatCommandLocked(guildID, name)
	return cmd != nil && s.mayInvokeLocked(cmd, guildID, channelID, &member)
}

// Autocomplete dispatches an APPLICATION_COMMAND_AUTOCOMPLETE interaction;
// exactly one option (possibly inside a subcommand) should be Focused. Like
// SlashCommand, it fails the test and returns nil for a command Discord
// would not offer member.
func (s *Server) Autocomplete(guildID, channelID string, member Member, name string, options ...*CommandOption) *discordgo.Interaction {
	s.tb.Helper()
	if countFocused(options) != 1 {
		s.tb.Errorf("Autocomplete %s: want exactly one Focused option, got %d", name, countFocused(options))
	}
	if !s.offered("Autocomplete", guildID, channelID, member, name) {
		return nil
	}
	return s.interact(discordgo.InteractionApplicationCommandAutocomplete, guildID, channelID, &member, member.User, name, options)
}

// offered fails the test when Discord would not offer a registered command
// to member in the channel. Commands the bot never registered stay
// invocable, so tests may dispatch interactions without registering first.
func (s *Server) offered(caller, guildID, channelID string, member Member, name string) bool {
	s.mu.Lock()
	cmd := s.chatCommandLocked(guildID, name)
	if cmd == nil || s.mayInvokeLocked(cmd, guildID, channelID, &member) {
		s.mu.Unlock()
		return true
	}
	perms := s.memberPermissionsLocked(guildID, channelID, &member)
	s.mu.Unlock()
	s.tb.Errorf("%s /%s: Discord does not offer the command to %s (%s): it needs default_member_permissions %d, "+
		"the member has %d in channel %s; assert with CanUse, or set Member.Granted for an admin's grant",
		caller, name, member.ID, member.Username, *cmd.DefaultMemberPermissions, perms, channelID)
	return false
}

// chatCommandLocked is the registered chat-input command of that name, the
// guild's before the global one, or nil; s.mu held.
func (s *Server) chatCommandLocked(guildID, name string) *discordgo.ApplicationCommand {
	for _, scope := range []string{guildID, ""} {
		for _, c := range s.commands[scope] {
			if c.Name == name && (c.Type == discordgo.ChatApplicationCommand || c.Type == 0) {
				return c
			}
		}
	}
	return nil
}

// mayInvokeLocked applies default_member_permissions; s.mu held.
func (s *Server) mayInvokeLocked(cmd *discordgo.ApplicationCommand, guildID, channelID string, member *Member) bool {
	if member.Granted || cmd.DefaultMemberPermissions == nil {
		return true
	}
	perms := s.memberPermissionsLocked(guildID, channelID, member)
	if perms&discordgo.PermissionAdministrator != 0 {
		return true
	}
	need := *cmd.DefaultMemberPermissions
	return need != 0 && perms&need == need
}

// memberPermissionsLocked is what Discord sends as member.permissions:
// Member.Permissions when the test set it, otherwise the member's computed
// permissions in the channel, or in the guild when the channel is unknown;
// s.mu held.
func (s *Server) memberPermissionsLocked(guildID, channelID string, member *Member) int64 {
	if member.Permissions != 0 {
		return member.Permissions
	}
	roles := s.memberRolesLocked(guildID, member)
	if ch := s.channels[channelID]; ch != nil && ch.GuildID == guildID {
		return s.permissionsLocked(channelID, member.ID, roles)
	}
	return s.basePermissionsLocked(guildID, member.ID, roles)
}

// memberRolesLocked is Member.Roles, or the roles the guild stores for the
// member when the test gave none; s.mu held.
func (s *Server) memberRolesLocked(guildID string, member *Member) []string {
	if len(member.Roles) > 0 {
		return member.Roles
	}
	if m := s.memberLocked(guildID, member.ID); m != nil && len(m.Roles) > 0 {
		return m.Roles
	}
	return []string{}
}

// DMSlashCommand dispatches an APPLICATION_COMMAND interaction invoked by
// user in a DM with the bot: the payload has a user and no member or guild.
func (s *Server) DMSlashCommand(user User, name string, options ...*CommandOption) *discordgo.Interaction {
	s.mu.Lock()
	s.users[user.ID] = discordUser(user)
	ch, _ := s.dmChannelLocked(user.ID)
	s.mu.Unlock()
	return s.interact(discordgo.InteractionApplicationCommand, "", ch.ID, nil, user, name, options)
}

func countFocused(opts []*CommandOption) int {
	n := 0
	for _, o := range opts {
		if o.Focused {
			n++
		}
		n += countFocused(o.Options)
	}
	return n
}

// interactionState is what the fake remembers of one interaction.
type interactionState struct {
	id, token string
	kind      discordgo.InteractionType
	guildID   string
	channelID string
	created   time.Time
	response  *InteractionResponse
	original  *Message
	followups []*Message
	// callbacks counts callback requests, refused ones included.
	callbacks int
}

// InteractionResponse is the callback a bot sent for an interaction.
type InteractionResponse struct {
	Type            discordgo.InteractionResponseType
	Content         string
	Embeds          []*discordgo.MessageEmbed
	Components      json.RawMessage
	AllowedMentions *discordgo.MessageAllowedMentions
	Flags           discordgo.MessageFlags
	Choices         []*discordgo.ApplicationCommandOptionChoice
	CustomID        string
	Title           string
	// Raw is the whole callback body as sent.
	Raw json.RawMessage
}

// InteractionRecord is an interaction with everything the bot did about it.
type InteractionRecord struct {
	ID        string
	Token     string
	Type      discordgo.InteractionType
	GuildID   string
	ChannelID string
	// Response is nil until the bot answered the callback.
	Response *InteractionResponse
	// Callbacks counts the callback requests made, including those
	// refused because the interaction was already answered: more than one
	// means two of the bot's sessions answered it.
	Callbacks int
	// Original is the response message, nil when there is none (yet).
	Original  *Message
	Followups []Message
}

// Interaction returns what the bot did with the interaction of the given ID.
func (s *Server) Interaction(id string) (InteractionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[id]
	if st == nil {
		return InteractionRecord{}, false
	}
	rec := InteractionRecord{ID: st.id, Token: st.token, Type: st.kind, GuildID: st.guildID, ChannelID: st.channelID, Callbacks: st.callbacks}
	if st.response != nil {
		r := cloneJSON(*st.response)
		rec.Response = &r
	}
	if st.original != nil {
		m := st.original.clone()
		rec.Original = &m
	}
	for _, f := range st.followups {
		rec.Followups = append(rec.Followups, f.clone())
	}
	return rec, true
}

func discordUser(u User) *discordgo.User {
	return &discordgo.User{ID: u.ID, Username: u.Username, Discriminator: "0"}
}

// interact builds, records and dispatches one interaction.
func (s *Server) interact(kind discordgo.InteractionType, guildID, channelID string, member *Member, user User, name string, options []*CommandOption) *discordgo.Interaction {
	now := s.cfg.now()
	id := s.ids.next()
	token := "aW50ZXJhY3Rpb246" + id + ":" + newSessionID() + newSessionID()

	s.mu.Lock()
	if bad := s.unknownRolesLocked(guildID, options); len(bad) > 0 {
		s.mu.Unlock()
		// Discord's client offers only the guild's roles for a ROLE option.
		s.tb.Errorf("interaction /%s: ROLE option value %v is not a role of guild %q", name, bad, guildID)
		return nil
	}
	s.users[user.ID] = discordUser(user)
	data := map[string]any{
		"id":      s.commandIDLocked(guildID, name),
		"name":    name,
		"type":    discordgo.ChatApplicationCommand,
		"options": options,
	}
	if resolved := s.resolveLocked(guildID, channelID, options); len(resolved) > 0 {
		data["resolved"] = resolved
	}
	p := map[string]any{
		"id":             id,
		"application_id": s.cfg.appID,
		"type":           kind,
		"data":           data,
		"channel_id":     channelID,
		"token":          token,
		"version":        1,
		"locale":         "en-US",
		"entitlements":   []any{},
	}
	if ch := s.channels[channelID]; ch != nil {
		p["channel"] = map[string]any{"id": ch.ID, "type": ch.Type, "name": ch.Name, "guild_id": ch.GuildID}
	}
	if member != nil {
		p["guild_id"] = guildID
		p["guild_locale"] = "en-US"
		p["guild"] = map[string]any{"id": guildID, "locale": "en-US", "features": []string{}}
		p["context"] = discordgo.InteractionContextGuild
		p["authorizing_integration_owners"] = map[string]string{"0": guildID}
		// app_permissions: "Bitwise set of permissions the app has in the
		// source location of the interaction" (Discord: "Interaction
		// Object").
		appPerms := s.basePermissionsLocked(guildID, s.cfg.bot.ID, nil)
		if ch := s.channels[channelID]; ch != nil && ch.GuildID == guildID {
			appPerms = s.permissionsLocked(channelID, s.cfg.bot.ID, nil)
		}
		p["app_permissions"] = strconv.FormatInt(appPerms, 10)
		p["member"] = map[string]any{
			"user":        userJSON(discordUser(user)),
			"nick":        member.Nick,
			"roles":       s.memberRolesLocked(guildID, member),
			"permissions": strconv.FormatInt(s.memberPermissionsLocked(guildID, channelID, member), 10),
			"joined_at":   now.Add(-24 * time.Hour).UTC().Format(time.RFC3339),
			"deaf":        false,
			"mute":        false,
			"flags":       0,
			"pending":     false,
		}
	} else {
		p["user"] = userJSON(discordUser(user))
		p["context"] = discordgo.InteractionContextBotDM
		p["authorizing_integration_owners"] = map[string]string{"1": user.ID}
		p["app_permissions"] = strconv.FormatInt(dmPermissions, 10)
	}
	st := &interactionState{id: id, token: token, kind: kind, guildID: guildID, channelID: channelID, created: now}
	s.interactions[id] = st
	s.byToken[token] = st
	s.notifyLocked()
	s.mu.Unlock()

	raw := mustJSON(p)
	s.Dispatch("INTERACTION_CREATE", raw)
	var out discordgo.Interaction
	if err := json.Unmarshal(raw, &out); err != nil {
		s.tb.Errorf("decode interaction %s as discordgo would: %v", name, err)
	}
	return &out
}

// dmPermissions is what a bot may do in a DM: view, send, embed, attach,
// read history, external emojis, add reactions.
const dmPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionUseExternalEmojis | discordgo.PermissionAddReactions

// commandIDLocked is the registered command's ID, or a fresh one.
func (s *Server) commandIDLocked(guildID, name string) string {
	for _, scope := range []string{guildID, ""} {
		for _, c := range s.commands[scope] {
			if c.Name == name && (c.Type == discordgo.ChatApplicationCommand || c.Type == 0) {
				return c.ID
			}
		}
	}
	return s.ids.next()
}

// unknownRolesLocked lists the values of ROLE options that are not roles of
// the guild; s.mu held.
func (s *Server) unknownRolesLocked(guildID string, options []*CommandOption) []string {
	var bad []string
	for _, o := range options {
		bad = append(bad, s.unknownRolesLocked(guildID, o.Options)...)
		if o.Type != discordgo.ApplicationCommandOptionRole {
			continue
		}
		id, _ := o.Value.(string)
		if s.roleLocked(guildID, id) == nil {
			bad = append(bad, fmt.Sprint(o.Value))
		}
	}
	return bad
}

// roleLocked finds a guild's role; s.mu held.
func (s *Server) roleLocked(guildID, roleID string) *discordgo.Role {
	if g := s.guilds[guildID]; g != nil {
		for _, r := range g.Roles {
			if r.ID == roleID {
				return r
			}
		}
	}
	return nil
}

// resolveLocked builds the "resolved" map for channel, user and role
// options; a resolved member's permissions are theirs in the interaction's
// channel.
func (s *Server) resolveLocked(guildID, channelID string, options []*CommandOption) map[string]any {
	channels, users, members, roles := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	var walk func([]*CommandOption)
	walk = func(opts []*CommandOption) {
		for _, o := range opts {
			walk(o.Options)
			id, _ := o.Value.(string)
			switch o.Type {
			case discordgo.ApplicationCommandOptionChannel:
				if ch := s.channels[id]; ch != nil {
					channels[id] = map[string]any{"id": ch.ID, "name": ch.Name, "type": ch.Type, "parent_id": ch.ParentID, "permissions": "0"}
				}
			case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
				if u := s.users[id]; u != nil {
					users[id] = userJSON(u)
					if m := s.memberLocked(guildID, id); m != nil {
						perms := s.permissionsLocked(channelID, id, nil)
						members[id] = map[string]any{"roles": m.Roles, "nick": m.Nick, "joined_at": m.JoinedAt, "permissions": strconv.FormatInt(perms, 10)}
					}
				}
				if o.Type == discordgo.ApplicationCommandOptionUser {
					break
				}
				fallthrough
			case discordgo.ApplicationCommandOptionRole:
				// The role object as stored, mentionable and managed
				// included (Discord: "Role Object").
				if r := s.roleLocked(guildID, id); r != nil {
					roles[id] = r
				}
			}
		}
	}
	walk(options)
	out := map[string]any{}
	for k, v := range map[string]map[string]any{"channels": channels, "users": users, "members": members, "roles": roles} {
		if len(v) > 0 {
			out[k] = v
		}
	}
	return out
}

func (s *Server) memberLocked(guildID, userID string) *discordgo.Member {
	if g := s.guilds[guildID]; g != nil {
		for _, m := range g.Members {
			if m.User != nil && m.User.ID == userID {
				return m
			}
		}
	}
	return nil
}

// allowedCallbacks lists the callback types Discord accepts per interaction
// type (Discord: "Interaction Callback Type").
var allowedCallbacks = map[discordgo.InteractionType][]discordgo.InteractionResponseType{
	discordgo.InteractionApplicationCommand: {
		discordgo.InteractionResponseChannelMessageWithSource,
		discordgo.InteractionResponseDeferredChannelMessageWithSource,
		discordgo.InteractionResponseModal,
	},
	discordgo.InteractionApplicationCommandAutocomplete: {
		discordgo.InteractionApplicationCommandAutocompleteResult,
	},
}

func (s *Server) interactionCallback(rc *restCall) answer {
	var body struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data *messageBody                      `json:"data"`
	}
	var extra struct {
		Data *struct {
			Choices  []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
			CustomID string                                      `json:"custom_id"`
			Title    string                                      `json:"title"`
		} `json:"data"`
	}
	if !decodeBody(rc, &body) || !decodeBody(rc, &extra) {
		return badJSON()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[rc.r.PathValue("interaction")]
	if st == nil || st.token != rc.r.PathValue("token") || rc.now.Sub(st.created) > interactionAckDeadline {
		return fail(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
	}
	st.callbacks++
	if st.response != nil {
		return fail(http.StatusBadRequest, CodeAlreadyAcknowledged, "Interaction has already been acknowledged.")
	}
	if !slices.Contains(allowedCallbacks[st.kind], body.Type) {
		errs := formErrors{}
		errs.add("type", "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of %v.", allowedCallbacks[st.kind]))
		return invalidForm(errs)
	}
	data := body.Data
	if data == nil {
		data = &messageBody{}
	}
	resp := &InteractionResponse{
		Type: body.Type, Content: data.content(), Embeds: withRichType(data.Embeds), Components: data.Components,
		AllowedMentions: data.AllowedMentions, Flags: data.Flags, Raw: append(json.RawMessage(nil), rc.body...),
	}
	if extra.Data != nil {
		resp.Choices, resp.CustomID, resp.Title = extra.Data.Choices, extra.Data.CustomID, extra.Data.Title
	}
	errs := formErrors{}
	switch body.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		validateMessage(data.content(), data.Embeds, data.AllowedMentions, errs)
		if len(errs) == 0 && data.isEmpty(rc.atts) {
			return fail(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if len(resp.Choices) > maxOptionChoices {
			errs.add("data.choices", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxOptionChoices))
		}
		for i, c := range resp.Choices {
			if n := len([]rune(c.Name)); n < 1 || n > maxChoiceName {
				errs.add("data.choices."+strconv.Itoa(i)+".name", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxChoiceName))
			}
		}
	case discordgo.InteractionResponseModal:
		if resp.CustomID == "" || resp.Title == "" || !hasComponents(data.Components) {
			errs.add("data", "MODAL_INVALID", "A modal needs custom_id, title and components.")
		}
	}
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	st.response = resp
	switch body.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		st.original = s.interactionMessageLocked(st, data, rc, 0)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		// The "thinking" placeholder: empty, loading, possibly ephemeral.
		st.original = s.interactionMessageLocked(st, &messageBody{Flags: data.Flags & discordgo.MessageFlagsEphemeral}, rc, discordgo.MessageFlagsLoading)
	}
	s.notifyLocked()
	return noContent()
}

// interactionMessageLocked creates a message sent through an interaction;
// non-ephemeral ones also appear in the channel.
func (s *Server) interactionMessageLocked(st *interactionState, data *messageBody, rc *restCall, extraFlags discordgo.MessageFlags) *Message {
	m := &Message{
		ID:              s.ids.next(),
		ChannelID:       st.channelID,
		GuildID:         st.guildID,
		Type:            discordgo.MessageTypeChatInputCommand,
		Author:          s.cfg.bot,
		Content:         data.content(),
		Embeds:          withRichType(data.Embeds),
		Components:      data.Components,
		AllowedMentions: data.AllowedMentions,
		Pinged:          pinged(data.content(), data.AllowedMentions, s.mentionRightsLocked(st.channelID)),
		Flags:           data.Flags | extraFlags,
		TTS:             data.TTS,
		Attachments:     rc.atts,
		WebhookID:       s.cfg.appID,
		InteractionID:   st.id,
		Timestamp:       rc.now,
	}
	if m.Flags&discordgo.MessageFlagsEphemeral == 0 {
		s.messages[st.channelID] = append(s.messages[st.channelID], m)
	}
	return m
}

// webhookInteractionLocked resolves /webhooks/{app}/{token}.
func (s *Server) webhookInteractionLocked(rc *restCall) (*interactionState, answer, bool) {
	st := s.byToken[rc.r.PathValue("token")]
	if rc.r.PathValue("app") != s.cfg.appID || st == nil {
		return nil, fail(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook"), false
	}
	if rc.now.Sub(st.created) > interactionTokenLifetime {
		return nil, fail(http.StatusUnauthorized, CodeInvalidWebhookToken, "Invalid Webhook Token"), false
	}
	return st, answer{}, true
}

// message finds @original or a follow-up by ID.
func (st *interactionState) message(id string) *Message {
	if id == "@original" {
		return st.original
	}
	for _, m := range st.followups {
		if m.ID == id {
			return m
		}
	}
	if st.original != nil && st.original.ID == id {
		return st.original
	}
	return nil
}

func (s *Server) createFollowup(rc *restCall) answer {
	var body messageBody
	if !decodeBody(rc, &body) {
		return badJSON()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, a, found := s.webhookInteractionLocked(rc)
	if !found {
		return a
	}
	if st.response == nil {
		// Discord knows no webhook for an interaction that was never acknowledged.
		return fail(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook")
	}
	errs := formErrors{}
	validateMessage(body.content(), body.Embeds, body.AllowedMentions, errs)
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	if body.isEmpty(rc.atts) {
		return fail(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
	}
	var m *Message
	if o := st.original; o != nil && o.Flags&discordgo.MessageFlagsLoading != 0 {
		// Discord: the first follow-up to a deferred response replaces the
		// "thinking" message.
		o.Content, o.Embeds, o.Components = body.content(), withRichType(body.Embeds), body.Components
		o.AllowedMentions, o.Pinged = body.AllowedMentions, pinged(body.content(), body.AllowedMentions, s.mentionRightsLocked(o.ChannelID))
		o.Flags &^= discordgo.MessageFlagsLoading
		o.EditedTimestamp = rc.now
		m = o
	} else {
		m = s.interactionMessageLocked(st, &body, rc, 0)
		m.Type = discordgo.MessageTypeDefault
		st.followups = append(st.followups, m)
	}
	s.notifyLocked()
	if rc.r.URL.Query().Get("wait") != "true" {
		return noContent()
	}
	return ok(m.wire(s.users))
}

// webhookMessageLocked finds the interaction and the message, @original or
// a follow-up, that a webhook message route names, or the answer to send
// when there is none.
func (s *Server) webhookMessageLocked(rc *restCall) (st *interactionState, m *Message, a answer, found bool) {
	st, a, found = s.webhookInteractionLocked(rc)
	if !found {
		return nil, nil, a, false
	}
	if m = st.message(rc.r.PathValue("message")); m == nil {
		return nil, nil, fail(http.StatusNotFound, CodeUnknownMessage, "Unknown Message"), false
	}
	return st, m, answer{}, true
}

func (s *Server) getWebhookMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, a, found := s.webhookMessageLocked(rc)
	if !found {
		return a
	}
	return ok(m.wire(s.users))
}

func (s *Server) editWebhookMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, a, found := s.webhookMessageLocked(rc)
	if !found {
		return a
	}
	return s.applyEditLocked(m, rc, true)
}

func (s *Server) deleteWebhookMessage(rc *restCall) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, m, a, found := s.webhookMessageLocked(rc)
	if !found {
		return a
	}
	if m == st.original {
		st.original = nil
	} else {
		for i, f := range st.followups {
			if f == m {
				st.followups = append(st.followups[:i], st.followups[i+1:]...)
				break
			}
		}
	}
	s.removeMessageLocked(m.ChannelID, m.ID)
	return noContent()
}
