package discordtest

import (
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Permission sets the fake grants or checks (Discord: "Permissions", table
// "Bitwise Permission Flags").
const (
	// BotPermissions is what a bot needs in a channel it posts alerts in:
	// see it, post in it and in its threads, have its embeds shown, and
	// read back what it posted. Give a role these to model a bot invited
	// with the right permissions.
	BotPermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionSendMessagesInThreads | discordgo.PermissionEmbedLinks |
		discordgo.PermissionReadMessageHistory

	// DefaultEveryonePermissions is what the fake gives the @everyone role
	// of a guild configured without one (no role whose ID is the guild's).
	// Discord's API documentation does not publish the defaults of a new
	// server; these are the permissions the Discord client turns on for
	// @everyone when it creates one. They do not include
	// MENTION_EVERYONE, SEND_TTS_MESSAGES or any moderation permission.
	DefaultEveryonePermissions int64 = discordgo.PermissionCreateInstantInvite | discordgo.PermissionAddReactions |
		discordgo.PermissionVoiceStreamVideo | discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
		discordgo.PermissionUseExternalEmojis | discordgo.PermissionVoiceConnect | discordgo.PermissionVoiceSpeak |
		discordgo.PermissionVoiceUseVAD | discordgo.PermissionChangeNickname | discordgo.PermissionUseApplicationCommands |
		discordgo.PermissionVoiceRequestToSpeak | discordgo.PermissionCreatePublicThreads |
		discordgo.PermissionCreatePrivateThreads | discordgo.PermissionUseExternalStickers |
		discordgo.PermissionSendMessagesInThreads | discordgo.PermissionUseEmbeddedActivities |
		discordgo.PermissionUseSoundboard | discordgo.PermissionUseExternalSounds | discordgo.PermissionSendVoiceMessages |
		discordgo.PermissionSendPolls | discordgo.PermissionUseExternalApps

	// allPermissions is every documented flag, bits 0 to 52 except the
	// unassigned bit 47: what ADMINISTRATOR and guild ownership grant.
	allPermissions int64 = (1<<53 - 1) &^ (1 << 47)

	// timedOutPermissions is all a timed-out member keeps (Discord:
	// "Permissions For Timed Out Members").
	timedOutPermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionReadMessageHistory

	// needsSend are the permissions that mean nothing without the right to
	// send (Discord: "Implicit Permissions").
	needsSend int64 = discordgo.PermissionMentionEveryone | discordgo.PermissionSendTTSMessages |
		discordgo.PermissionAttachFiles | discordgo.PermissionEmbedLinks
)

// Permissions returns a user's permissions in a channel, computed as
// Discord's "Permission Overwrites" pseudocode does: the guild owner has
// every permission; otherwise the @everyone role (the role whose ID is the
// guild's) and the member's roles are ORed, ADMINISTRATOR grants every
// permission, and then the channel's @everyone overwrite, the member's role
// overwrites (all denies, then all allows) and the member's own overwrite
// apply in that order. A thread (types 10, 11 and 12) takes its parent
// channel's permissions (Discord: "Inherited Permissions (Threads)"). A
// timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY.
//
// The value is the explicit result, before Discord's implicit rules: the
// fake's routes also treat a user without VIEW_CHANNEL as having no
// permission at all, and one who may not send as unable to embed, attach
// or mention everyone. A user who is not a member of the guild is counted
// with @everyone alone. A channel without a guild, a DM, gives what Discord
// gives bots in DMs; an unknown channel, or one of an unknown guild, gives 0.
func (s *Server) Permissions(channelID, userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.permissionsLocked(channelID, userID, nil)
}

// permissionsLocked computes userID's permissions in a channel; roles, when
// not nil, replace the member's stored roles. s.mu held.
func (s *Server) permissionsLocked(channelID, userID string, roles []string) int64 {
	ch := s.channels[channelID]
	if ch == nil {
		return 0
	}
	if ch.GuildID == "" {
		// A DM, or a channel a test built without a guild.
		return dmPermissions
	}
	g := s.guilds[ch.GuildID]
	if g == nil {
		return 0
	}
	if ch.IsThread() {
		if parent := s.channels[ch.ParentID]; parent != nil {
			ch = parent
		}
	}
	m := s.memberLocked(g.ID, userID)
	if roles == nil && m != nil {
		roles = m.Roles
	}
	return computePermissions(g, ch, userID, roles, timedOut(m, s.cfg.now()))
}

// basePermissionsLocked is a user's guild-level permissions, before any
// channel overwrite; s.mu held.
func (s *Server) basePermissionsLocked(guildID, userID string, roles []string) int64 {
	g := s.guilds[guildID]
	if g == nil {
		return 0
	}
	m := s.memberLocked(guildID, userID)
	if roles == nil && m != nil {
		roles = m.Roles
	}
	return computePermissions(g, nil, userID, roles, timedOut(m, s.cfg.now()))
}

// computePermissions is Discord's compute_permissions; ch may be nil for
// the guild-level base permissions.
func computePermissions(g *discordgo.Guild, ch *discordgo.Channel, userID string, roles []string, timedOut bool) int64 {
	if g.OwnerID != "" && g.OwnerID == userID {
		return allPermissions
	}
	perms := DefaultEveryonePermissions
	for _, r := range g.Roles {
		if r.ID == g.ID {
			perms = r.Permissions
		}
	}
	for _, r := range g.Roles {
		if r.ID != g.ID && slices.Contains(roles, r.ID) {
			perms |= r.Permissions
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return allPermissions
	}
	if ch != nil {
		perms = applyOverwrites(perms, g.ID, ch.PermissionOverwrites, userID, roles)
	}
	if timedOut {
		perms &= timedOutPermissions
	}
	return perms
}

// applyOverwrites applies a channel's overwrites in Discord's order.
func applyOverwrites(perms int64, guildID string, overwrites []*discordgo.PermissionOverwrite, userID string, roles []string) int64 {
	var everyone, member *discordgo.PermissionOverwrite
	var allow, deny int64
	for _, ow := range overwrites {
		switch {
		case ow == nil:
		case ow.Type == discordgo.PermissionOverwriteTypeRole && ow.ID == guildID:
			everyone = ow
		case ow.Type == discordgo.PermissionOverwriteTypeRole && slices.Contains(roles, ow.ID):
			allow |= ow.Allow
			deny |= ow.Deny
		case ow.Type == discordgo.PermissionOverwriteTypeMember && ow.ID == userID:
			member = ow
		}
	}
	if everyone != nil {
		perms = perms&^everyone.Deny | everyone.Allow
	}
	perms = perms&^deny | allow
	if member != nil {
		perms = perms&^member.Deny | member.Allow
	}
	return perms
}

// timedOut reports whether a member is in a timeout at now.
func timedOut(m *discordgo.Member, now time.Time) bool {
	return m != nil && m.CommunicationDisabledUntil != nil && m.CommunicationDisabledUntil.After(now)
}

// sendPermission is the permission that lets one post in a channel:
// SEND_MESSAGES_IN_THREADS in threads, where SEND_MESSAGES is not inherited
// (Discord: "Inherited Permissions (Threads)").
func sendPermission(ch *discordgo.Channel) int64 {
	if ch.IsThread() {
		return discordgo.PermissionSendMessagesInThreads
	}
	return discordgo.PermissionSendMessages
}

// effectivePermissions applies Discord's "Implicit Permissions": without
// VIEW_CHANNEL nothing else counts, and without the right to send,
// MENTION_EVERYONE, SEND_TTS_MESSAGES, ATTACH_FILES and EMBED_LINKS do not.
func effectivePermissions(perms int64, ch *discordgo.Channel) int64 {
	if perms&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	if perms&sendPermission(ch) == 0 {
		perms &^= needsSend
	}
	return perms
}

// botEffectivePermissionsLocked is what the bot may effectively do in ch;
// s.mu held.
func (s *Server) botEffectivePermissionsLocked(ch *discordgo.Channel) int64 {
	return effectivePermissions(s.permissionsLocked(ch.ID, s.cfg.bot.ID, nil), ch)
}

// mentionRightsLocked is what the bot's messages in a channel may ping:
// roles that exist in the guild, and @everyone only with MENTION_EVERYONE;
// s.mu held.
func (s *Server) mentionRightsLocked(channelID string) mentionRights {
	ch := s.channels[channelID]
	if ch == nil {
		return mentionRights{}
	}
	rights := mentionRights{everyone: s.botEffectivePermissionsLocked(ch)&discordgo.PermissionMentionEveryone != 0}
	if g := s.guilds[ch.GuildID]; g != nil {
		rights.roles = map[string]bool{}
		for _, r := range g.Roles {
			if r.ID != g.ID {
				rights.roles[r.ID] = r.Mentionable
			}
		}
	}
	return rights
}
