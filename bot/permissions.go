package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Permissions the bot needs in a channel it posts to: to see it, to post, to
// have its embeds shown (Discord drops the embeds of a message whose author
// lacks Embed Links), and to read the channel's recent messages, which is
// how an alert whose send went unanswered is found once Discord no longer
// remembers its nonce.
const (
	channelPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory
	// InvitePermissions is the permissions integer of the invite link in
	// the README: what the bot needs in every channel it posts to.
	InvitePermissions = channelPermissions
)

// neededPermissions names channelPermissions for admins.
var neededPermissions = permissionNames(channelPermissions)

var permissionLabels = []struct {
	bit  int64
	name string
}{
	{discordgo.PermissionViewChannel, "View Channel"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionEmbedLinks, "Embed Links"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
	{discordgo.PermissionMentionEveryone, "Mention @everyone, @here and All Roles"},
	{discordgo.PermissionManageChannels, "Manage Channels"},
}

// permissionNames lists the permissions in bits, in Discord's own words.
func permissionNames(bits int64) string {
	var names []string
	for _, l := range permissionLabels {
		if bits&l.bit != 0 {
			names = append(names, l.name)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// checkChannelForPosting refuses, in words an admin can act on, a channel
// Vigil could not post alerts in: a thread or forum, or one where the bot
// lacks a permission. appPermissions is the interaction's app_permissions:
// the bot's permissions in that channel as Discord computed them.
func (b *Bot) checkChannelForPosting(ctx context.Context, i *discordgo.InteractionCreate) error {
	if ch := b.channel(ctx, i.ChannelID); ch != nil {
		switch ch.Type {
		case discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildPrivateThread, discordgo.ChannelTypeGuildNewsThread:
			// Threads archive themselves after a while of quiet, and an
			// archived thread's messages cannot be edited; a security
			// desk's alert channel must not go silent that way.
			return userErrorf("Vigil posts alerts in text and announcement channels, not in threads: threads archive themselves when quiet. Run this in the parent channel.")
		case discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
			return userErrorf("Vigil posts alerts in text and announcement channels, not in forum channels. Run this in a text channel.")
		case discordgo.ChannelTypeGuildVoice, discordgo.ChannelTypeGuildStageVoice:
			return userErrorf("Vigil posts alerts in text and announcement channels, not in a voice channel's chat. Run this in a text channel.")
		}
	}
	if missing := channelPermissions &^ i.AppPermissions; missing != 0 {
		return userErrorf("Vigil can't post alerts here: the bot lacks %s in this channel. Give its role %s here (channel settings → Permissions), then run this again.",
			permissionNames(missing), neededPermissions)
	}
	return nil
}

// channel finds a channel in the gateway's state (GUILD_CREATE lists a
// server's channels and active threads), else asks Discord; nil if neither
// knows it.
func (b *Bot) channel(ctx context.Context, id string) *discordgo.Channel {
	if ch, err := b.session.State.Channel(id); err == nil {
		return ch
	}
	ch, err := b.session.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		b.log.Info("could not look up a channel's type", "channel", id, "err", err)
		return nil
	}
	return ch
}

// checkMentionRole accepts a role to mention with each alert only if Discord
// will notify its members: a real role of this server, not @everyone, and
// mentionable (or the bot may mention every role).
func checkMentionRole(i *discordgo.InteractionCreate, roleID string) error {
	if roleID == i.GuildID {
		return userErrorf("Vigil never mentions @everyone. Make a role for the people who want these alerts and mention that.")
	}
	var role *discordgo.Role
	if data, ok := i.Data.(discordgo.ApplicationCommandInteractionData); ok && data.Resolved != nil {
		role = data.Resolved.Roles[roleID]
	}
	if role == nil {
		return userErrorf("`mention` must be one of this server's roles; pick it from the list Discord offers.")
	}
	if role.Managed {
		return userErrorf("The role @%s belongs to an integration or bot; mention a role people can join.", role.Name)
	}
	if !role.Mentionable && i.AppPermissions&discordgo.PermissionMentionEveryone == 0 {
		return userErrorf("Discord would not notify anyone: the role @%s is not mentionable and the bot lacks %s here. "+
			"Turn on \"Allow anyone to @mention this role\" in the role's settings, or give the bot that permission.",
			role.Name, permissionNames(discordgo.PermissionMentionEveryone))
	}
	return nil
}

// setupPermission is what a member needs to change a channel's setup. It is
// also the commands' default_member_permissions, so that what Discord shows
// and what the handler accepts agree: Discord requires every bit of that
// field, so it cannot say "Manage Server or Manage Channels".
const setupPermission = discordgo.PermissionManageChannels

// canSetUp reports whether a member may change a channel's setup; Discord
// computes their permissions in the channel, Administrator included.
func canSetUp(m *discordgo.Member) bool {
	return m != nil && (m.Permissions&setupPermission != 0 || m.Permissions&discordgo.PermissionAdministrator != 0)
}

// notAllowed is the refusal for members without setupPermission.
var notAllowed = fmt.Sprintf("Only members with **%s** in this channel can change what it watches.", permissionNames(setupPermission))
