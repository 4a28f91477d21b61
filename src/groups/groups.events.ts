/** Published by the Groups module after the membership change has committed. */
export const GROUP_EVENTS = {
  memberJoined: 'group.member_joined',
  memberLeft: 'group.member_left',
} as const;

export interface GroupMemberChangedEvent {
  groupId: string;
  conversationId: string;
  /** Who joined, left or was removed. */
  userId: string;
  /** Current members after the change (for member_left the leaver is not among them). */
  memberIds: string[];
}
