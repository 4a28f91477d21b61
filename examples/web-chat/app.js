/**
 * Demo chat on the SDK (no framework): sign up or log in, conversations with unread badges, history
 * paging, live messages, typing, presence and read/delivery receipts.
 */
import { ApiError, MessagingClient } from '@messaging-api/sdk';

const apiUrl =
  new URLSearchParams(location.search).get('api') ?? window.CHAT_API_URL ?? 'http://localhost:3000';
const PAGE = 20;
const $ = (id) => document.getElementById(id);

const state = {
  /** @type {MessagingClient} */ client: new MessagingClient({ baseUrl: apiUrl }),
  /** @type {import('@messaging-api/sdk').RealtimeSession | null} */ live: null,
  me: null,
  /** conversation id -> ConversationSummary */
  conversations: new Map(),
  /** The open thread: {ref, conversationID, peer, group, messages: Map(id -> Message), oldest, hasMore} */
  thread: null,
  /** userID -> presence status */
  presence: new Map(),
  typingTimer: null,
  lastTypingSent: 0,
  stopTypingTimer: null,
};

// ---- sign up / log in
$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const action = event.submitter?.value ?? 'login';
  const username = String(form.get('username')).trim();
  const password = String(form.get('password'));
  const email = String(form.get('email') || `${username}@example.com`);
  $('auth-error').textContent = '';
  signIn(action, { username, password, email }).catch((error) => {
    $('auth-error').textContent = describe(error);
  });
});

async function signIn(action, { username, password, email }) {
  if (action === 'signup') {
    await state.client.register({ username, email, password });
  }
  const result = await state.client.login({ username, password });
  state.me = result.user;
  $('me').textContent = result.user.username;
  $('auth').hidden = true;
  $('chat').hidden = false;
  connect();
  await loadConversations();
}

function describe(error) {
  if (error instanceof ApiError) {
    const details = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join('; ');
    return details ? `${error.message} (${details})` : error.message;
  }
  return String(error?.message ?? error);
}

// ---- realtime
function connect() {
  const live = state.client.connect({ socketOptions: { transports: ['websocket'] } });
  state.live = live;
  live.socket.on('connect', () => setConnection('online'));
  live.socket.on('disconnect', () => setConnection('reconnecting…'));
  live.onMessage(onMessage);
  live.on('typing', ({ conversationID, userID, isTyping }) => {
    if (state.thread?.conversationID !== conversationID || userID === state.me.id) {
      return;
    }
    const name = state.thread.peer?.username ?? 'Someone';
    $('typing').textContent = isTyping ? `${name} is typing…` : '';
    clearTimeout(state.typingTimer);
    if (isTyping) {
      state.typingTimer = setTimeout(() => ($('typing').textContent = ''), 6000);
    }
  });
  live.on('presence', ({ userID, status }) => {
    state.presence.set(userID, status);
    renderConversations();
    renderThreadHeader();
  });
  live.on('message_delivered', (receipt) => applyReceipt(receipt, 'delivered'));
  live.on('message_read', (receipt) => applyReceipt(receipt, 'read'));
}

function setConnection(text) {
  $('connection').textContent = text;
  $('connection').classList.toggle('online', text === 'online');
}

function onMessage(message) {
  const known = state.conversations.get(message.conversationID);
  if (state.thread && sameThread(message)) {
    state.thread.conversationID = message.conversationID;
    addToThread(message);
    if (message.senderID !== state.me.id) {
      $('typing').textContent = '';
      void state.live.markRead(message.conversationID, message.seq).catch(() => undefined);
    }
  } else if (known && message.senderID !== state.me.id) {
    known.unreadCount += 1;
  }
  if (known) {
    known.lastMessage = message;
    known.updatedAt = message.timestamp;
    renderConversations();
  } else {
    void loadConversations();
  }
}

function sameThread(message) {
  const thread = state.thread;
  if (thread.conversationID) {
    return thread.conversationID === message.conversationID;
  }
  const peerId = thread.peer?.id;
  return (
    message.groupID === null &&
    (message.senderID === peerId ||
      (message.senderID === state.me.id && message.recipientID === peerId))
  );
}

function applyReceipt({ conversationID, seq, userID }, kind) {
  if (state.thread?.conversationID !== conversationID || userID === state.me.id) {
    return;
  }
  for (const message of state.thread.messages.values()) {
    if (message.senderID === state.me.id && message.seq <= seq) {
      message.delivered = true;
      message.read = message.read || kind === 'read';
    }
  }
  renderMessages(false);
}

// ---- conversations
async function loadConversations() {
  const page = await state.client.conversations({ limit: 50 });
  state.conversations = new Map(page.items.map((c) => [c.id, c]));
  for (const conversation of page.items) {
    if (conversation.peer) {
      state.presence.set(conversation.peer.id, conversation.peer.status);
    }
  }
  renderConversations();
}

function titleOf(conversation) {
  return conversation.peer?.username ?? conversation.group?.name ?? 'Conversation';
}

function renderConversations() {
  const list = $('conversations');
  list.replaceChildren();
  const sorted = [...state.conversations.values()].sort((a, b) =>
    b.updatedAt.localeCompare(a.updatedAt),
  );
  for (const conversation of sorted) {
    const item = document.createElement('li');
    item.dataset.testid = 'conversation';
    item.dataset.conversationId = conversation.id;
    item.classList.toggle('active', state.thread?.conversationID === conversation.id);
    const name = document.createElement('span');
    name.className = 'name';
    if (conversation.peer) {
      const dot = document.createElement('span');
      dot.className = `dot ${state.presence.get(conversation.peer.id) ?? 'offline'}`;
      dot.dataset.testid = 'presence-dot';
      name.append(dot);
    }
    name.append(titleOf(conversation));
    const preview = document.createElement('span');
    preview.className = 'preview';
    preview.textContent = conversation.lastMessage?.content ?? '';
    item.append(name, preview);
    if (conversation.unreadCount > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.dataset.testid = 'unread-badge';
      badge.textContent = String(conversation.unreadCount);
      item.append(badge);
    }
    item.addEventListener('click', () => void openConversation(conversation));
    list.append(item);
  }
}

$('new-chat').addEventListener('submit', (event) => {
  event.preventDefault();
  const query = String(new FormData(event.target).get('query')).trim();
  void state.client.searchUsers(query, 10).then((users) => {
    const results = $('search-results');
    results.replaceChildren();
    for (const user of users.filter((u) => u.id !== state.me.id)) {
      const item = document.createElement('li');
      item.textContent = `Chat with ${user.username}`;
      item.dataset.testid = 'search-result';
      item.addEventListener('click', () => {
        results.replaceChildren();
        const existing = [...state.conversations.values()].find((c) => c.peer?.id === user.id);
        void openConversation(existing ?? { id: null, peer: user, group: null });
      });
      results.append(item);
    }
  });
});

// ---- the open thread
async function openConversation(conversation) {
  state.thread = {
    ref: conversation.id ?? conversation.peer.id,
    conversationID: conversation.id,
    peer: conversation.peer,
    group: conversation.group,
    messages: new Map(),
    oldest: null,
    hasMore: false,
  };
  $('thread-title').textContent = titleOf(conversation);
  $('typing').textContent = '';
  $('composer').elements.content.disabled = false;
  $('composer').elements[1].disabled = false;
  renderThreadHeader();
  renderMessages(true);
  await loadOlder(true);
  if (state.thread.conversationID) {
    const summary = state.conversations.get(state.thread.conversationID);
    if (summary?.unreadCount) {
      summary.unreadCount = 0;
      await state.client.markConversationRead(state.thread.conversationID);
    }
  }
  renderConversations();
}

async function loadOlder(first = false) {
  const thread = state.thread;
  if (!thread.conversationID && !first) {
    return;
  }
  const query = thread.oldest === null ? { limit: PAGE } : { limit: PAGE, before: thread.oldest };
  const page = await state.client.history(thread.ref, query).catch((error) => {
    if (error instanceof ApiError && error.status === 404) {
      return { items: [], pagination: { hasMore: false } }; // no conversation with this peer yet
    }
    throw error;
  });
  if (state.thread !== thread) {
    return;
  }
  for (const message of page.items) {
    thread.conversationID ??= message.conversationID;
    thread.messages.set(message.id, message);
    thread.oldest = thread.oldest === null ? message.seq : Math.min(thread.oldest, message.seq);
  }
  thread.hasMore = page.pagination.hasMore;
  renderMessages(first);
}

$('older').addEventListener('click', () => void loadOlder());

function addToThread(message) {
  state.thread.messages.set(message.id, message);
  if (state.thread.oldest === null) {
    state.thread.oldest = message.seq;
  }
  renderMessages(true);
}

function renderThreadHeader() {
  const peer = state.thread?.peer;
  $('thread-presence').textContent = peer ? (state.presence.get(peer.id) ?? peer.status) : '';
}

function renderMessages(scroll) {
  const list = $('message-list');
  list.replaceChildren();
  const messages = [...(state.thread?.messages.values() ?? [])].sort((a, b) => a.seq - b.seq);
  for (const message of messages) {
    const mine = message.senderID === state.me.id;
    const item = document.createElement('li');
    item.className = mine ? 'msg mine' : 'msg';
    item.dataset.testid = 'message';
    item.dataset.seq = String(message.seq);
    item.textContent = message.content;
    const meta = document.createElement('span');
    meta.className = 'meta';
    const time = new Date(message.timestamp).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
    });
    const receipt = !mine
      ? ''
      : message.read
        ? ' · Read'
        : message.delivered
          ? ' · Delivered'
          : ' · Sent';
    meta.textContent = time + receipt;
    if (mine) {
      meta.dataset.testid = 'receipt';
    }
    item.append(meta);
    list.append(item);
  }
  $('older').hidden = !state.thread?.hasMore;
  if (scroll) {
    $('messages').scrollTop = $('messages').scrollHeight;
  }
}

// ---- composing
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.content;
  const content = input.value.trim();
  const thread = state.thread;
  if (!content || !thread) {
    return;
  }
  input.value = '';
  stopTyping();
  const target = thread.peer ? { recipientID: thread.peer.id } : { groupID: thread.group.id };
  state.live
    .send({ ...target, content })
    .then((message) => {
      if (state.thread === thread) {
        thread.conversationID = message.conversationID;
        addToThread(message);
      }
      // Through the session, so its per-conversation seq stays continuous (no gap to fill).
      state.live.ingest(message);
    })
    .catch((error) => {
      input.value = content;
      $('typing').textContent = `Not sent: ${describe(error)}`;
    });
});

$('composer').elements.content.addEventListener('input', () => {
  const conversationID = state.thread?.conversationID;
  if (!conversationID) {
    return;
  }
  const now = Date.now();
  if (now - state.lastTypingSent > 2000) {
    state.lastTypingSent = now;
    void state.live.typing(conversationID, true).catch(() => undefined);
  }
  clearTimeout(state.stopTypingTimer);
  state.stopTypingTimer = setTimeout(stopTyping, 3000);
});

function stopTyping() {
  clearTimeout(state.stopTypingTimer);
  if (state.lastTypingSent && state.thread?.conversationID) {
    void state.live.typing(state.thread.conversationID, false).catch(() => undefined);
  }
  state.lastTypingSent = 0;
}

// Keep the last username handy across reloads.
const lastUser = localStorage.getItem('demo-chat-user');
if (lastUser) {
  $('auth-form').elements.username.value = lastUser;
}
$('auth-form').addEventListener('submit', () =>
  localStorage.setItem('demo-chat-user', $('auth-form').elements.username.value),
);
