/**
 * `joined`, the same on memberLeft, memberLeftEvents and exitStats: a user's dashboard follows
 * its own places without listing them (a user cannot list its chat rooms).
 */
export const joinedDescription = [
  'true: the exits of every group and chat room the caller is a member of, plus every exit that includes the caller itself',
  '(its own leaving too, wherever it was). Membership is as of when the exit is read: for memberLeft, when each live event is',
  'delivered; for stored events (memberLeft with after, memberLeftEvents, exitStats), when the request reads them. So a place',
  'joined later shows its later exits, and after leaving a place only the caller\'s own exit of it is shown. The app admin gets',
  'its own places too, not every exit. Not with guid or chatRoomId, and not for a token that names no user: a top-level',
  'ERR_INVALID_INPUT error with "joined" in extensions.argument.',
].join(' ')
