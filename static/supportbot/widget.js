/*!
 * supportbot chat widget: one <script> tag, no dependencies, no build step, no third-party requests.
 * Wire format: docs/protocol.md. Embedding, theming, accessibility, languages: docs/widget.md.
 */
(() => {
  "use strict";
  if (window.SupportBot) return; // the tag is on the page twice: the first copy wins

  // ------------------------------------------------------------------ strings
  // One object per language; a missing key falls back to English.
  const STRINGS = {
    en: { title: "Customer support", open: "Open chat", close: "Close chat", placeholder: "Type your message…", send: "Send",
      connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline — we'll send your message when you're back", online: "Online",
      typing: "Assistant is typing…", sending: "Sending…", welcome: "Hi! How can we help you today?", you: "You", bot: "Assistant", agent: "Agent",
      err_text_too_long: "This message is too long (4,000 characters at most).", err_rate_limited: "You're sending messages too fast. Please wait a moment.", limited_start: "Too many chats were started from your network. We'll try again {when}.", err_rate_limited_wait: "You're sending messages too fast. We'll try again {when}.",
      err_empty_text: "Please type a message first.", err_unavailable: "We couldn't reply right away, but your message is saved and we'll answer soon.", err_busy: "Our assistant is very busy right now. Your message is saved; we'll answer as soon as we can, or a person can help.",
      err_conversation_closed: "This conversation has ended. Send a new message to start a new one.", err_generic: "Something went wrong. Please try again.",
      solved: "Problem solved", human: "Talk to a person", agent_helping: "{name} is helping you", agent_typing: "{name} is typing…", contact_title: "Leave your details and we'll get back to you.",
      contact_name: "Name (optional)", contact_email: "Email", contact_phone: "Phone", contact_invalid: "Please enter a valid email address or phone number.", contact_thanks: "Thank you! We'll get back to you soon.",
      star: "{n} of 5", csat_question: "How did we do?", csat_comment: "Comment (optional)", csat_submit: "Submit", csat_thanks: "Thank you for your feedback!", ended: "This conversation has ended.", new_conversation: "Start a new conversation" },
    de: { title: "Kundensupport", open: "Chat öffnen", close: "Chat schließen", placeholder: "Nachricht eingeben…", send: "Senden",
      connecting: "Verbinde…", reconnecting: "Verbindung wird wiederhergestellt…", offline: "Offline – wir senden Ihre Nachricht, sobald Sie wieder online sind", online: "Online",
      typing: "Assistent schreibt…", sending: "Wird gesendet…", welcome: "Hallo! Wie können wir Ihnen helfen?", you: "Sie", bot: "Assistent", agent: "Mitarbeiter",
      err_text_too_long: "Diese Nachricht ist zu lang (höchstens 4.000 Zeichen).", err_rate_limited: "Sie senden zu schnell. Bitte warten Sie einen Moment.", limited_start: "Von Ihrem Netzwerk wurden zu viele Chats gestartet. Wir versuchen es {when} erneut.", err_rate_limited_wait: "Sie senden zu schnell. Wir versuchen es {when} erneut.",
      err_empty_text: "Bitte geben Sie zuerst eine Nachricht ein.", err_unavailable: "Wir konnten nicht sofort antworten, aber Ihre Nachricht ist gespeichert und wir melden uns bald.", err_busy: "Unser Assistent ist gerade stark ausgelastet. Ihre Nachricht ist gespeichert; wir antworten so bald wie möglich, oder ein Mitarbeiter hilft Ihnen.",
      err_conversation_closed: "Dieses Gespräch ist beendet. Senden Sie eine neue Nachricht, um ein neues zu beginnen.", err_generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
      solved: "Problem gelöst", human: "Mit einem Menschen sprechen", agent_helping: "{name} hilft Ihnen", agent_typing: "{name} schreibt…", contact_title: "Hinterlassen Sie Ihre Kontaktdaten, wir melden uns bei Ihnen.",
      contact_name: "Name (optional)", contact_email: "E-Mail", contact_phone: "Telefon", contact_invalid: "Bitte geben Sie eine gültige E-Mail-Adresse oder Telefonnummer ein.", contact_thanks: "Vielen Dank! Wir melden uns bald bei Ihnen.",
      star: "{n} von 5", csat_question: "Wie zufrieden waren Sie?", csat_comment: "Kommentar (optional)", csat_submit: "Absenden", csat_thanks: "Vielen Dank für Ihr Feedback!", ended: "Dieses Gespräch ist beendet.", new_conversation: "Neues Gespräch beginnen" },
    fr: { title: "Service client", open: "Ouvrir le chat", close: "Fermer le chat", placeholder: "Écrivez votre message…", send: "Envoyer",
      connecting: "Connexion…", reconnecting: "Reconnexion…", offline: "Hors ligne — nous enverrons votre message dès votre retour", online: "En ligne",
      typing: "L'assistant écrit…", sending: "Envoi…", welcome: "Bonjour ! Comment pouvons-nous vous aider ?", you: "Vous", bot: "Assistant", agent: "Conseiller",
      err_text_too_long: "Ce message est trop long (4 000 caractères maximum).", err_rate_limited: "Vous envoyez des messages trop vite. Veuillez patienter un instant.", limited_start: "Trop de conversations ont été ouvertes depuis votre réseau. Nouvel essai {when}.", err_rate_limited_wait: "Vous envoyez des messages trop vite. Nouvel essai {when}.",
      err_empty_text: "Veuillez d'abord écrire un message.", err_unavailable: "Nous n'avons pas pu répondre tout de suite, mais votre message est enregistré et nous vous répondrons bientôt.", err_busy: "Notre assistant est très sollicité en ce moment. Votre message est enregistré ; nous répondrons dès que possible, ou une personne peut vous aider.",
      err_conversation_closed: "Cette conversation est terminée. Envoyez un nouveau message pour en commencer une autre.", err_generic: "Une erreur s'est produite. Veuillez réessayer.",
      solved: "Problème résolu", human: "Parler à une personne", agent_helping: "{name} vous aide", agent_typing: "{name} écrit…", contact_title: "Laissez vos coordonnées et nous vous recontacterons.",
      contact_name: "Nom (facultatif)", contact_email: "E-mail", contact_phone: "Téléphone", contact_invalid: "Veuillez saisir une adresse e-mail ou un numéro de téléphone valide.", contact_thanks: "Merci ! Nous vous recontacterons bientôt.",
      star: "{n} sur 5", csat_question: "Comment s'est passé cet échange ?", csat_comment: "Commentaire (facultatif)", csat_submit: "Envoyer", csat_thanks: "Merci pour votre avis !", ended: "Cette conversation est terminée.", new_conversation: "Commencer une nouvelle conversation" },
    es: { title: "Atención al cliente", open: "Abrir chat", close: "Cerrar chat", placeholder: "Escribe tu mensaje…", send: "Enviar",
      connecting: "Conectando…", reconnecting: "Reconectando…", offline: "Sin conexión: enviaremos tu mensaje cuando vuelvas", online: "En línea",
      typing: "El asistente está escribiendo…", sending: "Enviando…", welcome: "¡Hola! ¿En qué podemos ayudarte?", you: "Tú", bot: "Asistente", agent: "Agente",
      err_text_too_long: "El mensaje es demasiado largo (máximo 4000 caracteres).", err_rate_limited: "Estás enviando mensajes demasiado rápido. Espera un momento.", limited_start: "Se iniciaron demasiados chats desde tu red. Lo intentaremos de nuevo {when}.", err_rate_limited_wait: "Estás enviando mensajes demasiado rápido. Lo intentaremos de nuevo {when}.",
      err_empty_text: "Escribe un mensaje primero.", err_unavailable: "No pudimos responder de inmediato, pero tu mensaje está guardado y te responderemos pronto.", err_busy: "Nuestro asistente está muy ocupado ahora. Tu mensaje está guardado; responderemos lo antes posible, o una persona puede ayudarte.",
      err_conversation_closed: "Esta conversación ha terminado. Envía un mensaje nuevo para empezar otra.", err_generic: "Algo salió mal. Inténtalo de nuevo.",
      solved: "Problema resuelto", human: "Hablar con una persona", agent_helping: "{name} te está ayudando", agent_typing: "{name} está escribiendo…", contact_title: "Déjanos tus datos y te contactaremos.",
      contact_name: "Nombre (opcional)", contact_email: "Correo electrónico", contact_phone: "Teléfono", contact_invalid: "Introduce un correo electrónico o un número de teléfono válido.", contact_thanks: "¡Gracias! Te contactaremos pronto.",
      star: "{n} de 5", csat_question: "¿Qué tal te hemos atendido?", csat_comment: "Comentario (opcional)", csat_submit: "Enviar", csat_thanks: "¡Gracias por tu opinión!", ended: "Esta conversación ha terminado.", new_conversation: "Empezar una conversación nueva" },
    pt: { title: "Atendimento ao cliente", open: "Abrir chat", close: "Fechar chat", placeholder: "Escreva sua mensagem…", send: "Enviar",
      connecting: "Conectando…", reconnecting: "Reconectando…", offline: "Sem conexão — enviaremos sua mensagem quando você voltar", online: "Online",
      typing: "O assistente está digitando…", sending: "Enviando…", welcome: "Olá! Como podemos ajudar?", you: "Você", bot: "Assistente", agent: "Atendente",
      err_text_too_long: "A mensagem é longa demais (no máximo 4.000 caracteres).", err_rate_limited: "Você está enviando mensagens rápido demais. Aguarde um momento.", limited_start: "Muitos chats foram iniciados a partir da sua rede. Tentaremos novamente {when}.", err_rate_limited_wait: "Você está enviando mensagens rápido demais. Tentaremos novamente {when}.",
      err_empty_text: "Escreva uma mensagem primeiro.", err_unavailable: "Não conseguimos responder agora, mas sua mensagem foi salva e responderemos em breve.", err_busy: "Nosso assistente está muito ocupado agora. Sua mensagem foi salva; responderemos assim que possível, ou uma pessoa pode ajudar.",
      err_conversation_closed: "Esta conversa foi encerrada. Envie uma nova mensagem para iniciar outra.", err_generic: "Algo deu errado. Tente novamente.",
      solved: "Problema resolvido", human: "Falar com uma pessoa", agent_helping: "{name} está atendendo você", agent_typing: "{name} está digitando…", contact_title: "Deixe seus dados e entraremos em contato.",
      contact_name: "Nome (opcional)", contact_email: "E-mail", contact_phone: "Telefone", contact_invalid: "Informe um e-mail ou número de telefone válido.", contact_thanks: "Obrigado! Entraremos em contato em breve.",
      star: "{n} de 5", csat_question: "Como foi o atendimento?", csat_comment: "Comentário (opcional)", csat_submit: "Enviar", csat_thanks: "Obrigado pela sua avaliação!", ended: "Esta conversa foi encerrada.", new_conversation: "Iniciar uma nova conversa" },
    it: { title: "Assistenza clienti", open: "Apri la chat", close: "Chiudi la chat", placeholder: "Scrivi il tuo messaggio…", send: "Invia",
      connecting: "Connessione…", reconnecting: "Riconnessione…", offline: "Offline: invieremo il tuo messaggio quando tornerai online", online: "Online",
      typing: "L'assistente sta scrivendo…", sending: "Invio…", welcome: "Ciao! Come possiamo aiutarti?", you: "Tu", bot: "Assistente", agent: "Operatore",
      err_text_too_long: "Il messaggio è troppo lungo (massimo 4.000 caratteri).", err_rate_limited: "Stai inviando messaggi troppo velocemente. Attendi un momento.", limited_start: "Troppe chat avviate dalla tua rete. Riproveremo {when}.", err_rate_limited_wait: "Stai inviando messaggi troppo velocemente. Riproveremo {when}.",
      err_empty_text: "Scrivi prima un messaggio.", err_unavailable: "Non siamo riusciti a rispondere subito, ma il tuo messaggio è salvato e ti risponderemo presto.", err_busy: "Il nostro assistente è molto occupato in questo momento. Il tuo messaggio è salvato; risponderemo appena possibile, oppure può aiutarti una persona.",
      err_conversation_closed: "Questa conversazione è terminata. Invia un nuovo messaggio per iniziarne un'altra.", err_generic: "Si è verificato un errore. Riprova.",
      solved: "Problema risolto", human: "Parla con una persona", agent_helping: "{name} ti sta aiutando", agent_typing: "{name} sta scrivendo…", contact_title: "Lascia i tuoi recapiti e ti ricontatteremo.",
      contact_name: "Nome (facoltativo)", contact_email: "E-mail", contact_phone: "Telefono", contact_invalid: "Inserisci un indirizzo e-mail o un numero di telefono valido.", contact_thanks: "Grazie! Ti ricontatteremo presto.",
      star: "{n} su 5", csat_question: "Come valuti l'assistenza?", csat_comment: "Commento (facoltativo)", csat_submit: "Invia", csat_thanks: "Grazie per il tuo feedback!", ended: "Questa conversazione è terminata.", new_conversation: "Inizia una nuova conversazione" },
    nl: { title: "Klantenservice", open: "Chat openen", close: "Chat sluiten", placeholder: "Typ je bericht…", send: "Versturen",
      connecting: "Verbinden…", reconnecting: "Opnieuw verbinden…", offline: "Offline — we versturen je bericht zodra je weer online bent", online: "Online",
      typing: "Assistent is aan het typen…", sending: "Versturen…", welcome: "Hallo! Waarmee kunnen we je helpen?", you: "Jij", bot: "Assistent", agent: "Medewerker",
      err_text_too_long: "Dit bericht is te lang (maximaal 4.000 tekens).", err_rate_limited: "Je verstuurt te snel berichten. Wacht even.", limited_start: "Er zijn te veel chats gestart vanaf je netwerk. We proberen het {when} opnieuw.", err_rate_limited_wait: "Je verstuurt te snel berichten. We proberen het {when} opnieuw.",
      err_empty_text: "Typ eerst een bericht.", err_unavailable: "We konden niet direct antwoorden, maar je bericht is bewaard en we reageren snel.", err_busy: "Onze assistent is nu erg druk. Je bericht is bewaard; we antwoorden zo snel mogelijk, of een medewerker helpt je.",
      err_conversation_closed: "Dit gesprek is beëindigd. Stuur een nieuw bericht om een nieuw gesprek te starten.", err_generic: "Er ging iets mis. Probeer het opnieuw.",
      solved: "Probleem opgelost", human: "Met een mens praten", agent_helping: "{name} helpt je", agent_typing: "{name} is aan het typen…", contact_title: "Laat je gegevens achter, dan nemen we contact met je op.",
      contact_name: "Naam (optioneel)", contact_email: "E-mail", contact_phone: "Telefoon", contact_invalid: "Vul een geldig e-mailadres of telefoonnummer in.", contact_thanks: "Bedankt! We nemen snel contact met je op.",
      star: "{n} van 5", csat_question: "Hoe hebben we je geholpen?", csat_comment: "Opmerking (optioneel)", csat_submit: "Versturen", csat_thanks: "Bedankt voor je feedback!", ended: "Dit gesprek is beëindigd.", new_conversation: "Nieuw gesprek starten" },
    ru: { title: "Служба поддержки", open: "Открыть чат", close: "Закрыть чат", placeholder: "Введите сообщение…", send: "Отправить",
      connecting: "Подключение…", reconnecting: "Переподключение…", offline: "Нет сети — мы отправим сообщение, когда связь восстановится", online: "В сети",
      typing: "Ассистент печатает…", sending: "Отправка…", welcome: "Здравствуйте! Чем мы можем помочь?", you: "Вы", bot: "Ассистент", agent: "Оператор",
      err_text_too_long: "Сообщение слишком длинное (не более 4000 символов).", err_rate_limited: "Вы отправляете сообщения слишком часто. Подождите немного.", limited_start: "Из вашей сети начато слишком много чатов. Повторим попытку {when}.", err_rate_limited_wait: "Вы отправляете сообщения слишком часто. Повторим попытку {when}.",
      err_empty_text: "Сначала введите сообщение.", err_unavailable: "Мы не смогли ответить сразу, но ваше сообщение сохранено, и мы скоро ответим.", err_busy: "Наш ассистент сейчас очень загружен. Ваше сообщение сохранено; мы ответим как можно скорее, или вам поможет сотрудник.",
      err_conversation_closed: "Этот разговор завершён. Отправьте новое сообщение, чтобы начать новый.", err_generic: "Что-то пошло не так. Попробуйте ещё раз.",
      solved: "Вопрос решён", human: "Позвать сотрудника", agent_helping: "Вам помогает {name}", agent_typing: "{name} печатает…", contact_title: "Оставьте контакты, и мы с вами свяжемся.",
      contact_name: "Имя (необязательно)", contact_email: "Электронная почта", contact_phone: "Телефон", contact_invalid: "Укажите действительный адрес электронной почты или номер телефона.", contact_thanks: "Спасибо! Мы скоро с вами свяжемся.",
      star: "{n} из 5", csat_question: "Как мы справились?", csat_comment: "Комментарий (необязательно)", csat_submit: "Отправить", csat_thanks: "Спасибо за отзыв!", ended: "Этот разговор завершён.", new_conversation: "Начать новый разговор" },
    tr: { title: "Müşteri desteği", open: "Sohbeti aç", close: "Sohbeti kapat", placeholder: "Mesajınızı yazın…", send: "Gönder",
      connecting: "Bağlanıyor…", reconnecting: "Yeniden bağlanıyor…", offline: "Çevrimdışı — tekrar bağlandığınızda mesajınızı göndereceğiz", online: "Çevrimiçi",
      typing: "Asistan yazıyor…", sending: "Gönderiliyor…", welcome: "Merhaba! Size nasıl yardımcı olabiliriz?", you: "Siz", bot: "Asistan", agent: "Temsilci",
      err_text_too_long: "Bu mesaj çok uzun (en fazla 4.000 karakter).", err_rate_limited: "Çok hızlı mesaj gönderiyorsunuz. Lütfen biraz bekleyin.", limited_start: "Ağınızdan çok fazla sohbet başlatıldı. {when} tekrar deneyeceğiz.", err_rate_limited_wait: "Çok hızlı mesaj gönderiyorsunuz. {when} tekrar deneyeceğiz.",
      err_empty_text: "Lütfen önce bir mesaj yazın.", err_unavailable: "Hemen yanıt veremedik, ancak mesajınız kaydedildi ve kısa süre içinde yanıtlayacağız.", err_busy: "Asistanımız şu anda çok yoğun. Mesajınız kaydedildi; en kısa sürede yanıtlayacağız ya da bir temsilci yardımcı olabilir.",
      err_conversation_closed: "Bu görüşme sona erdi. Yeni bir görüşme başlatmak için yeni bir mesaj gönderin.", err_generic: "Bir şeyler ters gitti. Lütfen tekrar deneyin.",
      solved: "Sorun çözüldü", human: "Bir temsilciyle görüş", agent_helping: "{name} size yardımcı oluyor", agent_typing: "{name} yazıyor…", contact_title: "Bilgilerinizi bırakın, size geri dönelim.",
      contact_name: "Ad (isteğe bağlı)", contact_email: "E-posta", contact_phone: "Telefon", contact_invalid: "Lütfen geçerli bir e-posta adresi veya telefon numarası girin.", contact_thanks: "Teşekkürler! Size en kısa sürede geri döneceğiz.",
      star: "5 üzerinden {n}", csat_question: "Hizmetimizi nasıl buldunuz?", csat_comment: "Yorum (isteğe bağlı)", csat_submit: "Gönder", csat_thanks: "Geri bildiriminiz için teşekkürler!", ended: "Bu görüşme sona erdi.", new_conversation: "Yeni bir görüşme başlat" },
    zh: { title: "客户支持", open: "打开聊天", close: "关闭聊天", placeholder: "输入您的消息…", send: "发送",
      connecting: "正在连接…", reconnecting: "正在重新连接…", offline: "已离线——恢复连接后我们会发送您的消息", online: "在线",
      typing: "助手正在输入…", sending: "正在发送…", welcome: "您好！有什么可以帮您？", you: "您", bot: "助手", agent: "客服",
      err_text_too_long: "消息过长（最多 4000 个字符）。", err_rate_limited: "您发送消息太快了，请稍候。", limited_start: "您的网络发起的对话过多。我们将在{when}重试。", err_rate_limited_wait: "您发送消息太快了。我们将在{when}重试。",
      err_empty_text: "请先输入消息。", err_unavailable: "我们暂时无法立即回复，但您的消息已保存，我们会尽快答复。", err_busy: "我们的助手现在非常繁忙。您的消息已保存，我们会尽快答复，您也可以请人工客服帮助。",
      err_conversation_closed: "此对话已结束。发送新消息即可开始新的对话。", err_generic: "出了点问题，请重试。",
      solved: "问题已解决", human: "转人工客服", agent_helping: "{name} 正在为您服务", agent_typing: "{name} 正在输入…", contact_title: "请留下您的联系方式，我们会尽快联系您。",
      contact_name: "姓名（可选）", contact_email: "电子邮箱", contact_phone: "电话", contact_invalid: "请输入有效的电子邮箱或电话号码。", contact_thanks: "谢谢！我们会尽快与您联系。",
      star: "{n} 分，共 5 分", csat_question: "您对本次服务满意吗？", csat_comment: "评论（可选）", csat_submit: "提交", csat_thanks: "感谢您的反馈！", ended: "此对话已结束。", new_conversation: "开始新的对话" },
    ja: { title: "カスタマーサポート", open: "チャットを開く", close: "チャットを閉じる", placeholder: "メッセージを入力…", send: "送信",
      connecting: "接続中…", reconnecting: "再接続中…", offline: "オフラインです。接続が回復したらメッセージを送信します", online: "オンライン",
      typing: "アシスタントが入力中…", sending: "送信中…", welcome: "こんにちは！ご用件をお聞かせください。", you: "あなた", bot: "アシスタント", agent: "担当者",
      err_text_too_long: "メッセージが長すぎます（最大 4,000 文字）。", err_rate_limited: "送信が速すぎます。少し待ってからお試しください。", limited_start: "お使いのネットワークから開始されたチャットが多すぎます。{when}に再試行します。", err_rate_limited_wait: "送信が速すぎます。{when}に再試行します。",
      err_empty_text: "メッセージを入力してください。", err_unavailable: "すぐにお返事できませんでしたが、メッセージは保存されました。まもなくお返事します。", err_busy: "ただいまアシスタントが大変混み合っています。メッセージは保存されました。できるだけ早くお返事するか、担当者がお手伝いします。",
      err_conversation_closed: "この会話は終了しました。新しいメッセージを送ると新しい会話が始まります。", err_generic: "問題が発生しました。もう一度お試しください。",
      solved: "解決しました", human: "担当者と話す", agent_helping: "{name}が対応しています", agent_typing: "{name}が入力中…", contact_title: "連絡先を残していただければ、折り返しご連絡します。",
      contact_name: "お名前（任意）", contact_email: "メールアドレス", contact_phone: "電話番号", contact_invalid: "有効なメールアドレスまたは電話番号を入力してください。", contact_thanks: "ありがとうございます。まもなくご連絡します。",
      star: "5 段階中 {n}", csat_question: "対応はいかがでしたか？", csat_comment: "コメント（任意）", csat_submit: "送信", csat_thanks: "ご意見ありがとうございました！", ended: "この会話は終了しました。", new_conversation: "新しい会話を始める" },
    ko: { title: "고객 지원", open: "채팅 열기", close: "채팅 닫기", placeholder: "메시지를 입력하세요…", send: "보내기",
      connecting: "연결 중…", reconnecting: "다시 연결 중…", offline: "오프라인 — 다시 연결되면 메시지를 보내 드릴게요", online: "온라인",
      typing: "어시스턴트가 입력 중…", sending: "보내는 중…", welcome: "안녕하세요! 무엇을 도와드릴까요?", you: "나", bot: "어시스턴트", agent: "상담원",
      err_text_too_long: "메시지가 너무 깁니다(최대 4,000자).", err_rate_limited: "메시지를 너무 빨리 보내고 있습니다. 잠시 기다려 주세요.", limited_start: "사용 중인 네트워크에서 너무 많은 채팅이 시작되었습니다. {when} 다시 시도합니다.", err_rate_limited_wait: "메시지를 너무 빨리 보내고 있습니다. {when} 다시 시도합니다.",
      err_empty_text: "먼저 메시지를 입력하세요.", err_unavailable: "바로 답변하지 못했지만 메시지는 저장되었으며 곧 답변해 드리겠습니다.", err_busy: "지금 상담 도우미가 매우 바쁩니다. 메시지는 저장되었으며 최대한 빨리 답변드리거나 상담원이 도와드릴 수 있습니다.",
      err_conversation_closed: "이 대화는 종료되었습니다. 새 메시지를 보내면 새 대화가 시작됩니다.", err_generic: "문제가 발생했습니다. 다시 시도해 주세요.",
      solved: "문제 해결됨", human: "상담원 연결", agent_helping: "{name} 님이 도와드리고 있습니다", agent_typing: "{name} 님이 입력 중…", contact_title: "연락처를 남겨 주시면 다시 연락드리겠습니다.",
      contact_name: "이름(선택)", contact_email: "이메일", contact_phone: "전화번호", contact_invalid: "올바른 이메일 주소나 전화번호를 입력하세요.", contact_thanks: "감사합니다! 곧 연락드리겠습니다.",
      star: "5점 중 {n}점", csat_question: "상담은 어떠셨나요?", csat_comment: "의견(선택)", csat_submit: "제출", csat_thanks: "의견을 보내 주셔서 감사합니다!", ended: "이 대화는 종료되었습니다.", new_conversation: "새 대화 시작" },
    hi: { title: "ग्राहक सहायता", open: "चैट खोलें", close: "चैट बंद करें", placeholder: "अपना संदेश लिखें…", send: "भेजें",
      connecting: "कनेक्ट हो रहा है…", reconnecting: "फिर से कनेक्ट हो रहा है…", offline: "ऑफ़लाइन — आपके वापस आने पर हम आपका संदेश भेज देंगे", online: "ऑनलाइन",
      typing: "सहायक लिख रहा है…", sending: "भेजा जा रहा है…", welcome: "नमस्ते! हम आपकी क्या मदद कर सकते हैं?", you: "आप", bot: "सहायक", agent: "एजेंट",
      err_text_too_long: "संदेश बहुत लंबा है (अधिकतम 4,000 अक्षर)।", err_rate_limited: "आप बहुत तेज़ी से संदेश भेज रहे हैं। कृपया थोड़ा रुकें।", limited_start: "आपके नेटवर्क से बहुत अधिक चैट शुरू की गई हैं। हम {when} फिर से कोशिश करेंगे।", err_rate_limited_wait: "आप बहुत तेज़ी से संदेश भेज रहे हैं। हम {when} फिर से कोशिश करेंगे।",
      err_empty_text: "कृपया पहले कोई संदेश लिखें।", err_unavailable: "हम तुरंत जवाब नहीं दे सके, लेकिन आपका संदेश सहेज लिया गया है और हम जल्द ही जवाब देंगे।", err_busy: "हमारा सहायक अभी बहुत व्यस्त है। आपका संदेश सहेज लिया गया है; हम जल्द से जल्द जवाब देंगे, या कोई व्यक्ति मदद कर सकता है।",
      err_conversation_closed: "यह बातचीत समाप्त हो गई है। नई बातचीत शुरू करने के लिए नया संदेश भेजें।", err_generic: "कुछ गलत हो गया। कृपया फिर से कोशिश करें।",
      solved: "समस्या हल हो गई", human: "किसी व्यक्ति से बात करें", agent_helping: "{name} आपकी मदद कर रहे हैं", agent_typing: "{name} लिख रहे हैं…", contact_title: "अपना संपर्क विवरण छोड़ें, हम आपसे संपर्क करेंगे।",
      contact_name: "नाम (वैकल्पिक)", contact_email: "ईमेल", contact_phone: "फ़ोन", contact_invalid: "कृपया मान्य ईमेल पता या फ़ोन नंबर दर्ज करें।", contact_thanks: "धन्यवाद! हम जल्द ही आपसे संपर्क करेंगे।",
      star: "5 में से {n}", csat_question: "हमारी सेवा कैसी रही?", csat_comment: "टिप्पणी (वैकल्पिक)", csat_submit: "सबमिट करें", csat_thanks: "आपकी प्रतिक्रिया के लिए धन्यवाद!", ended: "यह बातचीत समाप्त हो गई है।", new_conversation: "नई बातचीत शुरू करें" },
    vi: { title: "Hỗ trợ khách hàng", open: "Mở trò chuyện", close: "Đóng trò chuyện", placeholder: "Nhập tin nhắn…", send: "Gửi",
      connecting: "Đang kết nối…", reconnecting: "Đang kết nối lại…", offline: "Mất kết nối — chúng tôi sẽ gửi tin nhắn khi bạn trực tuyến trở lại", online: "Trực tuyến",
      typing: "Trợ lý đang nhập…", sending: "Đang gửi…", welcome: "Xin chào! Chúng tôi có thể giúp gì cho bạn?", you: "Bạn", bot: "Trợ lý", agent: "Nhân viên",
      err_text_too_long: "Tin nhắn quá dài (tối đa 4.000 ký tự).", err_rate_limited: "Bạn gửi tin nhắn quá nhanh. Vui lòng đợi một chút.", limited_start: "Có quá nhiều cuộc trò chuyện được bắt đầu từ mạng của bạn. Chúng tôi sẽ thử lại {when}.", err_rate_limited_wait: "Bạn gửi tin nhắn quá nhanh. Chúng tôi sẽ thử lại {when}.",
      err_empty_text: "Vui lòng nhập tin nhắn trước.", err_unavailable: "Chúng tôi chưa thể trả lời ngay, nhưng tin nhắn của bạn đã được lưu và chúng tôi sẽ sớm phản hồi.", err_busy: "Trợ lý của chúng tôi hiện đang rất bận. Tin nhắn của bạn đã được lưu; chúng tôi sẽ trả lời sớm nhất có thể, hoặc nhân viên có thể hỗ trợ bạn.",
      err_conversation_closed: "Cuộc trò chuyện này đã kết thúc. Hãy gửi tin nhắn mới để bắt đầu cuộc trò chuyện khác.", err_generic: "Đã xảy ra lỗi. Vui lòng thử lại.",
      solved: "Đã giải quyết", human: "Nói chuyện với nhân viên", agent_helping: "{name} đang hỗ trợ bạn", agent_typing: "{name} đang nhập…", contact_title: "Hãy để lại thông tin liên hệ, chúng tôi sẽ liên lạc lại với bạn.",
      contact_name: "Tên (không bắt buộc)", contact_email: "Email", contact_phone: "Số điện thoại", contact_invalid: "Vui lòng nhập email hoặc số điện thoại hợp lệ.", contact_thanks: "Cảm ơn bạn! Chúng tôi sẽ sớm liên lạc lại.",
      star: "{n} trên 5", csat_question: "Bạn đánh giá cuộc hỗ trợ này thế nào?", csat_comment: "Nhận xét (không bắt buộc)", csat_submit: "Gửi", csat_thanks: "Cảm ơn bạn đã góp ý!", ended: "Cuộc trò chuyện này đã kết thúc.", new_conversation: "Bắt đầu cuộc trò chuyện mới" },
    th: { title: "ฝ่ายบริการลูกค้า", open: "เปิดแชท", close: "ปิดแชท", placeholder: "พิมพ์ข้อความของคุณ…", send: "ส่ง",
      connecting: "กำลังเชื่อมต่อ…", reconnecting: "กำลังเชื่อมต่อใหม่…", offline: "ออฟไลน์ — เราจะส่งข้อความของคุณเมื่อคุณกลับมาออนไลน์", online: "ออนไลน์",
      typing: "ผู้ช่วยกำลังพิมพ์…", sending: "กำลังส่ง…", welcome: "สวัสดี! มีอะไรให้เราช่วยไหม", you: "คุณ", bot: "ผู้ช่วย", agent: "เจ้าหน้าที่",
      err_text_too_long: "ข้อความยาวเกินไป (สูงสุด 4,000 ตัวอักษร)", err_rate_limited: "คุณส่งข้อความเร็วเกินไป โปรดรอสักครู่", limited_start: "มีการเริ่มแชทจากเครือข่ายของคุณมากเกินไป เราจะลองอีกครั้ง{when}", err_rate_limited_wait: "คุณส่งข้อความเร็วเกินไป เราจะลองอีกครั้ง{when}",
      err_empty_text: "โปรดพิมพ์ข้อความก่อน", err_unavailable: "เรายังตอบกลับทันทีไม่ได้ แต่ข้อความของคุณถูกบันทึกไว้แล้ว และเราจะตอบกลับเร็ว ๆ นี้", err_busy: "ขณะนี้ผู้ช่วยของเรามีผู้ใช้งานจำนวนมาก ข้อความของคุณถูกบันทึกแล้ว เราจะตอบโดยเร็วที่สุด หรือเจ้าหน้าที่สามารถช่วยคุณได้",
      err_conversation_closed: "การสนทนานี้สิ้นสุดแล้ว ส่งข้อความใหม่เพื่อเริ่มการสนทนาใหม่", err_generic: "เกิดข้อผิดพลาด โปรดลองอีกครั้ง",
      solved: "แก้ปัญหาแล้ว", human: "คุยกับเจ้าหน้าที่", agent_helping: "{name} กำลังดูแลคุณ", agent_typing: "{name} กำลังพิมพ์…", contact_title: "ฝากข้อมูลติดต่อไว้ แล้วเราจะติดต่อกลับ",
      contact_name: "ชื่อ (ไม่บังคับ)", contact_email: "อีเมล", contact_phone: "โทรศัพท์", contact_invalid: "โปรดระบุอีเมลหรือหมายเลขโทรศัพท์ที่ถูกต้อง", contact_thanks: "ขอบคุณ! เราจะติดต่อกลับโดยเร็ว",
      star: "{n} จาก 5", csat_question: "คุณพอใจกับบริการของเราแค่ไหน", csat_comment: "ความคิดเห็น (ไม่บังคับ)", csat_submit: "ส่ง", csat_thanks: "ขอบคุณสำหรับความคิดเห็น!", ended: "การสนทนานี้สิ้นสุดแล้ว", new_conversation: "เริ่มการสนทนาใหม่" },
    ar: { title: "خدمة العملاء", open: "فتح المحادثة", close: "إغلاق المحادثة", placeholder: "اكتب رسالتك…", send: "إرسال",
      connecting: "جارٍ الاتصال…", reconnecting: "جارٍ إعادة الاتصال…", offline: "غير متصل — سنرسل رسالتك عند عودتك", online: "متصل",
      typing: "المساعد يكتب…", sending: "جارٍ الإرسال…", welcome: "مرحبًا! كيف يمكننا مساعدتك؟", you: "أنت", bot: "المساعد", agent: "الموظف",
      err_text_too_long: "الرسالة طويلة جدًا (4000 حرف كحد أقصى).", err_rate_limited: "أنت ترسل الرسائل بسرعة كبيرة. يرجى الانتظار قليلًا.", limited_start: "بدأت محادثات كثيرة جدًا من شبكتك. سنحاول مرة أخرى {when}.", err_rate_limited_wait: "أنت ترسل الرسائل بسرعة كبيرة. سنحاول مرة أخرى {when}.",
      err_empty_text: "يرجى كتابة رسالة أولًا.", err_unavailable: "لم نتمكن من الرد فورًا، لكن رسالتك محفوظة وسنرد عليك قريبًا.", err_busy: "مساعدنا مشغول جدًا الآن. تم حفظ رسالتك؛ سنرد في أقرب وقت ممكن، أو يمكن لأحد الموظفين مساعدتك.",
      err_conversation_closed: "انتهت هذه المحادثة. أرسل رسالة جديدة لبدء محادثة أخرى.", err_generic: "حدث خطأ ما. يرجى المحاولة مرة أخرى.",
      solved: "تم حل المشكلة", human: "التحدث إلى موظف", agent_helping: "{name} في خدمتك", agent_typing: "{name} يكتب…", contact_title: "اترك بيانات التواصل وسنتواصل معك.",
      contact_name: "الاسم (اختياري)", contact_email: "البريد الإلكتروني", contact_phone: "الهاتف", contact_invalid: "يرجى إدخال بريد إلكتروني أو رقم هاتف صالح.", contact_thanks: "شكرًا لك! سنتواصل معك قريبًا.",
      star: "{n} من 5", csat_question: "كيف كانت تجربتك معنا؟", csat_comment: "تعليق (اختياري)", csat_submit: "إرسال", csat_thanks: "شكرًا على ملاحظاتك!", ended: "انتهت هذه المحادثة.", new_conversation: "بدء محادثة جديدة" },
    he: { title: "שירות לקוחות", open: "פתיחת הצ'אט", close: "סגירת הצ'אט", placeholder: "כתבו הודעה…", send: "שליחה",
      connecting: "מתחבר…", reconnecting: "מתחבר מחדש…", offline: "אין חיבור — נשלח את ההודעה כשתחזרו", online: "מחובר",
      typing: "העוזר מקליד…", sending: "שולח…", welcome: "שלום! איך נוכל לעזור?", you: "אתם", bot: "העוזר", agent: "נציג",
      err_text_too_long: "ההודעה ארוכה מדי (עד 4,000 תווים).", err_rate_limited: "אתם שולחים הודעות מהר מדי. אנא המתינו רגע.", limited_start: "נפתחו יותר מדי שיחות מהרשת שלכם. ננסה שוב {when}.", err_rate_limited_wait: "אתם שולחים הודעות מהר מדי. ננסה שוב {when}.",
      err_empty_text: "נא לכתוב הודעה קודם.", err_unavailable: "לא הצלחנו להשיב מיד, אבל ההודעה נשמרה ונשיב בקרוב.", err_busy: "העוזר שלנו עמוס מאוד כרגע. ההודעה שלך נשמרה; נשיב בהקדם האפשרי, או שנציג יוכל לעזור.",
      err_conversation_closed: "השיחה הסתיימה. שלחו הודעה חדשה כדי להתחיל שיחה חדשה.", err_generic: "משהו השתבש. נא לנסות שוב.",
      solved: "הבעיה נפתרה", human: "שיחה עם נציג", agent_helping: "{name} איתך בשיחה", agent_typing: "{name} מקליד/ה…", contact_title: "השאירו פרטים ונחזור אליכם.",
      contact_name: "שם (לא חובה)", contact_email: "אימייל", contact_phone: "טלפון", contact_invalid: "נא להזין כתובת אימייל או מספר טלפון תקינים.", contact_thanks: "תודה! נחזור אליכם בקרוב.",
      star: "{n} מתוך 5", csat_question: "איך היה השירות?", csat_comment: "הערה (לא חובה)", csat_submit: "שליחה", csat_thanks: "תודה על המשוב!", ended: "השיחה הסתיימה.", new_conversation: "התחלת שיחה חדשה" },
    fa: { title: "پشتیبانی مشتریان", open: "باز کردن گفتگو", close: "بستن گفتگو", placeholder: "پیام خود را بنویسید…", send: "ارسال",
      connecting: "در حال اتصال…", reconnecting: "در حال اتصال دوباره…", offline: "آفلاین — وقتی برگردید پیام شما را می‌فرستیم", online: "آنلاین",
      typing: "دستیار در حال نوشتن است…", sending: "در حال ارسال…", welcome: "سلام! چطور می‌توانیم کمکتان کنیم؟", you: "شما", bot: "دستیار", agent: "کارشناس",
      err_text_too_long: "پیام خیلی طولانی است (حداکثر ۴۰۰۰ نویسه).", err_rate_limited: "پیام‌ها را خیلی سریع می‌فرستید. لطفاً کمی صبر کنید.", limited_start: "گفتگوهای زیادی از شبکه شما شروع شده است. {when} دوباره تلاش می‌کنیم.", err_rate_limited_wait: "پیام‌ها را خیلی سریع می‌فرستید. {when} دوباره تلاش می‌کنیم.",
      err_empty_text: "لطفاً ابتدا پیامی بنویسید.", err_unavailable: "نتوانستیم فوراً پاسخ دهیم، اما پیام شما ذخیره شد و به‌زودی پاسخ می‌دهیم.", err_busy: "دستیار ما اکنون بسیار مشغول است. پیام شما ذخیره شد؛ در اولین فرصت پاسخ می‌دهیم، یا یکی از همکاران می‌تواند کمک کند.",
      err_conversation_closed: "این گفتگو به پایان رسیده است. برای شروع گفتگوی جدید، پیام تازه‌ای بفرستید.", err_generic: "مشکلی پیش آمد. لطفاً دوباره تلاش کنید.",
      solved: "مشکل حل شد", human: "گفتگو با کارشناس", agent_helping: "{name} به شما کمک می‌کند", agent_typing: "{name} در حال نوشتن است…", contact_title: "اطلاعات تماس خود را بگذارید تا با شما تماس بگیریم.",
      contact_name: "نام (اختیاری)", contact_email: "ایمیل", contact_phone: "تلفن", contact_invalid: "لطفاً یک ایمیل یا شماره تلفن معتبر وارد کنید.", contact_thanks: "سپاسگزاریم! به‌زودی با شما تماس می‌گیریم.",
      star: "{n} از 5", csat_question: "از گفتگو با ما چقدر راضی بودید؟", csat_comment: "نظر (اختیاری)", csat_submit: "ارسال", csat_thanks: "از بازخورد شما سپاسگزاریم!", ended: "این گفتگو به پایان رسیده است.", new_conversation: "شروع گفتگوی جدید" },
  };
  const RTL_LANGUAGES = new Set(["ar", "he", "fa"]);
  const ERROR_KEYS = new Set(["text_too_long", "rate_limited", "empty_text", "unavailable", "busy", "conversation_closed"]);
  const MAX_CHARS = 4000; // protocol limit, counted in code points like the server does
  const TYPING_TIMEOUT_MS = 45000; // an escalated conversation gets no bot reply: stop the dots eventually
  const AGENT_TYPING_MS = 5000; // a person's "typing" lapses after this long without another
  const TYPING_SEND_MS = 2000; // the customer's "typing" goes to the agent at most this often
  const ESCALATE_WAIT_MS = 15000; // the button stays disabled this long waiting for the `handoff` it asked for
  const HANDOFF_STATES = new Set(["bot", "waiting_agent", "agent", "resolved"]);
  const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
  const PHONE_RE = /^\+?[\d\s().\/-]+$/;
  const CONNECT_TIMEOUT_MS = 15000;
  const REFUSALS_BEFORE_NEW_CONVERSATION = 3;
  // A reply that shows no progress (no delta, no done) this long may have lost a frame: ask for what was missed
  // (`resume` from the last seq seen), then again after twice as long, up to STALL_MAX_MS.
  const STALL_MS = 8000;
  const STALL_MAX_MS = 60000;
  const RETRY_AFTER_MAX_S = 3600; // a server's Retry-After beyond this is taken as this
  // The socket's subprotocol, and the prefix of the one carrying the token: a header, never the URL (access logs).
  const SUBPROTOCOL = "supportbot";
  const TOKEN_PROTOCOL = "supportbot.token.";

  // ------------------------------------------------------------ configuration
  const script = document.currentScript || document.querySelector('script[src*="supportbot/widget"]');
  const attrs = (script && script.dataset) || {};
  const scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const config = {
    server: serverBase(attrs.server),
    locale: (attrs.locale || "").trim() || navigator.language || "en",
    title: (attrs.title || "").trim(),
    startOpen: attrs.open === "true",
    position: attrs.position === "left" ? "left" : "right",
    accent: (attrs.accent || "").trim(),
  };

  // The server base URL without a trailing slash; a bad value falls back to where the script came from.
  function serverBase(value) {
    if (!value || !value.trim()) return scriptOrigin;
    try {
      const url = new URL(value.trim(), location.href);
      if (url.protocol !== "http:" && url.protocol !== "https:") return scriptOrigin;
      return (url.origin + url.pathname).replace(/\/+$/, "");
    } catch (e) {
      return scriptOrigin;
    }
  }

  // ------------------------------------------------------------------ storage
  // localStorage can throw (disabled, sandboxed iframe, quota): then we keep state in memory for this page.
  const memory = {};
  const storage = {
    get(key) {
      try { const raw = localStorage.getItem(key); return raw === null ? null : JSON.parse(raw); } catch (e) { return key in memory ? memory[key] : null; }
    },
    set(key, value) { memory[key] = value; try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* memory only */ } },
    remove(key) { delete memory[key]; try { localStorage.removeItem(key); } catch (e) { /* memory only */ } },
  };
  const KEY_VISITOR = "supportbot:visitor";
  const KEY_CONVERSATION = "supportbot:conversation:" + config.server;
  const KEY_OUTBOX = "supportbot:outbox:" + config.server;
  const KEY_OPEN = "supportbot:open:" + config.server; // sessionStorage: reopen the panel after a reload in this tab

  function sessionFlag(value) {
    try {
      if (value === undefined) return sessionStorage.getItem(KEY_OPEN) === "1";
      if (value) sessionStorage.setItem(KEY_OPEN, "1"); else sessionStorage.removeItem(KEY_OPEN);
    } catch (e) { /* no session storage: the panel just starts closed */ }
    return false;
  }

  // crypto.randomUUID exists only in secure contexts; getRandomValues works everywhere.
  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function visitorId() {
    let id = storage.get(KEY_VISITOR);
    if (typeof id !== "string" || !id) { id = uuid(); storage.set(KEY_VISITOR, id); }
    return id;
  }

  function validConversation(c) {
    return c && typeof c === "object" && typeof c.conversation === "string" && typeof c.ws === "string" ? c : null;
  }

  function loadOutbox() {
    const items = storage.get(KEY_OUTBOX);
    return Array.isArray(items) ? items.filter((m) => m && typeof m.client_id === "string" && typeof m.text === "string") : [];
  }

  const primaryTag = (tag) => String(tag || "").trim().toLowerCase().split(/[-_]/)[0];

  // -------------------------------------------------------------------- state
  const state = {
    conversation: validConversation(storage.get(KEY_CONVERSATION)), // {conversation, token, ws, language}
    outbox: loadOutbox(), // [{client_id, text}] not yet acknowledged, in sending order
    language: "en", // the conversation language: data-locale first, then each ack's `language`
    lastSeq: 0, // 0 after a reload, so the first resume replays the whole transcript
    socket: null, connected: false, replaying: false, status: "idle",
    busy: false, // creating a conversation: no second attempt meanwhile
    wanted: false, // only talk to the server once the visitor opened the chat (or already has a conversation)
    stopped: false, // the server refused us in a way retrying cannot fix (403 origin, 400)
    attempt: 0, reconnectTimer: 0,
    refusals: 0, // socket closes before open, in a row
    replacedConversation: false,
    spareConversation: null, // made after repeated refusals, used if the stored one is refused once more
    open: false, unread: 0, noticeKey: "", noticeTimer: 0, noticeUntil: 0,
    retryAt: 0, // while refused with a Retry-After ("limited"): when the widget tries again
    resumePending: false, // a resume was sent and its resume.done has not come
    stallTimer: 0, stallDelay: STALL_MS, outboxTimer: 0,
    ...freshPeople(),
  };
  state.language = primaryTag((state.conversation && state.conversation.language) || config.locale) || "en";
  state.wanted = Boolean(state.conversation || state.outbox.length);

  // Who has the conversation (docs/protocol.md "Handoff"), and the contact form and rating that go with it. Kept in
  // memory only: a new conversation starts from a fresh copy.
  function freshPeople() {
    return {
      handoff: "bot", handoffKey: "", agentName: "", agentsOnline: true,
      escalating: false, escalateQueued: false, escalateTimer: 0, agentTypingTimer: 0, typingSentAt: 0,
      contact: "", contactError: "", // contact: "", "sending" or "saved"
      csat: null, csatState: "", csatRating: 0, csatError: "", // csat: the texts of csat.request; csatState: "open", "sending" or "done"
    };
  }

  const uiLanguage = () => (STRINGS[state.language] ? state.language : "en");
  const t = (key) => STRINGS[uiLanguage()][key] || STRINGS.en[key] || STRINGS.en.err_generic;
  const errorKey = (code) => "err_" + (ERROR_KEYS.has(code) ? code : "generic");
  // "in 5 minutes", in the UI language, for a wait of `seconds`; the sentence has a {when} for it.
  function whenText(seconds) {
    const s = Math.max(1, Math.ceil(seconds));
    const [n, unit] = s < 60 ? [s, "second"] : s < 7200 ? [Math.ceil(s / 60), "minute"] : [Math.ceil(s / 3600), "hour"];
    try { return new Intl.RelativeTimeFormat(uiLanguage(), { numeric: "always" }).format(n, unit); } catch (e) { return `${n} ${unit}s`; }
  }
  const tWhen = (key, until) => t(key).replace("{when}", whenText((until - Date.now()) / 1000));
  // Seconds from a refusal's retry_after (or Retry-After header); null when it has none.
  function retrySeconds(value) {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? Math.min(n, RETRY_AFTER_MAX_S) : null;
  }
  const botSilent = () => state.handoff !== "bot"; // waiting for or with a person, or resolved: no bot reply comes
  const clean = (value, max) => (typeof value === "string" ? value.trim().slice(0, max) : "");

  // ---------------------------------------------------------------------- DOM
  const CSS = `
:host { all: initial; }
[hidden] { display: none !important; }
*, *::before, *::after { box-sizing: border-box; }
.root { --accent: var(--supportbot-accent, #1f2937); --accent-text: var(--supportbot-accent-text, #fff); --focus: var(--supportbot-focus, #2563eb);
  --radius: var(--supportbot-radius, 16px); --bg: #fff; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bubble: #f3f4f6; --danger: #b91c1c;
  font: 14px/1.45 var(--supportbot-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji");
  color: var(--fg); -webkit-font-smoothing: antialiased; }
button, textarea, input { font: inherit; color: inherit; margin: 0; }
button { cursor: pointer; }
button:disabled { cursor: default; opacity: .5; }
button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
svg { width: 20px; height: 20px; display: block; }
.launcher { position: fixed; bottom: 20px; right: 20px; z-index: var(--supportbot-z, 2147483000); width: 56px; height: 56px; border: 0; border-radius: 50%;
  display: grid; place-items: center; background: var(--accent); color: var(--accent-text); box-shadow: 0 6px 20px rgba(17, 24, 39, .28); transition: transform .15s ease; }
.launcher:hover { transform: translateY(-1px) scale(1.04); }
.launcher svg { width: 26px; height: 26px; }
.left .launcher { right: auto; left: 20px; }
.icon-close, .open .icon-chat { display: none; }
.open .icon-close { display: block; }
.badge { position: absolute; top: -3px; right: -3px; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: #dc2626; color: #fff;
  font-size: 12px; font-weight: 600; line-height: 20px; text-align: center; }
.panel { position: fixed; bottom: 88px; right: 20px; z-index: var(--supportbot-z, 2147483000); width: 380px; max-width: calc(100vw - 40px);
  height: 600px; max-height: calc(100vh - 112px); display: flex; flex-direction: column; overflow: hidden; background: var(--bg);
  border: 1px solid var(--line); border-radius: var(--radius); box-shadow: 0 18px 50px rgba(17, 24, 39, .18);
  opacity: 0; visibility: hidden; transform: translateY(12px); transition: opacity .18s ease, transform .18s ease, visibility 0s linear .18s; }
.open .panel { opacity: 1; visibility: visible; transform: none; transition: opacity .18s ease, transform .18s ease; }
.left .panel { right: auto; left: 20px; }
.header { display: flex; align-items: center; gap: 8px; padding: 14px 12px; padding-inline-start: 18px; border-bottom: 1px solid var(--line); }
.heading { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 16px; font-weight: 600; line-height: 1.3; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status { margin: 2px 0 0; display: flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); }
.dot { flex: none; width: 8px; height: 8px; border-radius: 50%; background: #9ca3af; }
.status[data-state="online"] .dot { background: #16a34a; }
.status[data-state="connecting"] .dot, .status[data-state="reconnecting"] .dot { background: #d97706; }
.status[data-state="offline"] .dot, .status[data-state="error"] .dot { background: #dc2626; }
.status[data-state="limited"] .dot { background: #d97706; }
.close { flex: none; width: 36px; height: 36px; border: 0; border-radius: 10px; display: grid; place-items: center; background: transparent; color: var(--muted); }
.close:hover { background: var(--bubble); color: var(--fg); }
.human { flex: none; max-width: 120px; display: flex; align-items: center; gap: 5px; padding: 5px 9px; border: 1px solid var(--line); border-radius: 999px;
  background: transparent; font-size: 12px; line-height: 1.2; text-align: start; }
.human svg { flex: none; width: 16px; height: 16px; }
.human span { min-width: 0; overflow-wrap: anywhere; }
.human:hover:not(:disabled) { background: var(--bubble); }
.agent-line { margin: 2px 0 0; font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.scroller { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px; }
.log { display: flex; flex-direction: column; gap: 8px; }
.row { display: flex; flex-direction: column; align-items: flex-start; }
.row.customer { align-items: flex-end; }
.row.system { align-items: center; }
.sources { display: flex; flex-wrap: wrap; gap: 4px 10px; margin: 4px 2px 0; font-size: 12px; }
.sources a { color: var(--accent); text-decoration: underline; }
.offer { margin: 6px 2px 0; }
.bubble { max-width: 85%; padding: 9px 13px; border-radius: 16px; background: var(--bubble); white-space: pre-wrap; overflow-wrap: anywhere; }
.bot .bubble, .agent .bubble { border-end-start-radius: 4px; }
.agent .bubble { background: var(--bg); border: 1px solid var(--line); }
.customer .bubble { background: var(--accent); color: var(--accent-text); border-end-end-radius: 4px; }
.system .bubble { max-width: 100%; padding: 2px 8px; background: transparent; color: var(--muted); font-size: 12px; text-align: center; }
.bubble[data-state="sending"] { opacity: .65; }
.bubble[data-state="failed"] { background: #fef2f2; color: var(--danger); border: 1px solid #fecaca; }
.bubble[data-state="error"] { color: var(--danger); }
.bubble[data-state="streaming"]::after { content: ""; display: inline-block; width: 7px; height: 1em; margin-inline-start: 2px; vertical-align: text-bottom;
  background: currentColor; opacity: .35; animation: blink 1s steps(2) infinite; }
.author { margin-bottom: 3px; padding: 0 4px; font-size: 11.5px; font-weight: 600; color: var(--muted); }
.meta { margin-top: 3px; padding: 0 4px; font-size: 11.5px; color: var(--muted); }
.meta.failed { color: var(--danger); }
.meta:empty { display: none; }
.welcome { margin-bottom: 8px; }
.typing { margin-top: 8px; }
.typing .bubble { display: inline-flex; gap: 4px; padding: 13px 14px; }
.typing i { width: 6px; height: 6px; border-radius: 50%; background: var(--muted); animation: bounce 1.2s infinite ease-in-out; }
.typing i:nth-child(2) { animation-delay: .15s; }
.typing i:nth-child(3) { animation-delay: .3s; }
.agent-typing { margin: 8px 0 0; font-size: 12px; font-style: italic; color: var(--muted); }
.tail { display: flex; flex-direction: column; gap: 10px; margin-top: 10px; }
.card { display: flex; flex-direction: column; gap: 10px; padding: 12px; border: 1px solid var(--line); border-radius: 12px; }
.card-title { margin: 0; font-weight: 600; }
.field { display: flex; flex-direction: column; gap: 4px; font-size: 12.5px; color: var(--muted); }
input { width: 100%; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 10px; background: var(--bg); color: var(--fg); }
input:focus-visible { outline: none; border-color: var(--focus); box-shadow: 0 0 0 3px rgba(37, 99, 235, .18); }
input[aria-invalid="true"] { border-color: var(--danger); }
.card textarea { flex: none; width: 100%; min-height: 64px; resize: vertical; color: var(--fg); }
.form-error { margin: 0; font-size: 12.5px; color: var(--danger); }
.form-error:empty { display: none; }
.primary { align-self: flex-start; padding: 8px 16px; border: 0; border-radius: 10px; background: var(--accent); color: var(--accent-text); font-weight: 600; }
.secondary { align-self: center; padding: 7px 14px; border: 1px solid var(--line); border-radius: 10px; background: transparent; }
.stars { display: flex; gap: 2px; }
.star { width: 38px; height: 38px; border: 0; border-radius: 8px; background: transparent; font-size: 26px; line-height: 1; color: #d1d5db; }
.star.on { color: #f59e0b; }
.star:hover:not(:disabled) { background: var(--bubble); }
.line { margin: 0; text-align: center; font-size: 12.5px; color: var(--muted); }
.notice { margin: 0; padding: 8px 16px; font-size: 12.5px; color: #92400e; background: #fffbeb; border-top: 1px solid #fde68a; }
.notice:empty { display: none; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 12px; padding-bottom: max(12px, env(safe-area-inset-bottom)); border-top: 1px solid var(--line); }
textarea { flex: 1; min-width: 0; min-height: 42px; max-height: 140px; padding: 10px 12px; resize: none; border: 1px solid #d1d5db; border-radius: 12px;
  background: var(--bg); line-height: 1.4; }
textarea::placeholder { color: #9ca3af; }
textarea:focus-visible { outline: none; border-color: var(--focus); box-shadow: 0 0 0 3px rgba(37, 99, 235, .18); }
.send { flex: none; width: 42px; height: 42px; border: 0; border-radius: 12px; display: grid; place-items: center; background: var(--accent); color: var(--accent-text); }
.send:hover { filter: brightness(1.15); }
.composer textarea:disabled { background: var(--bubble); cursor: not-allowed; }
[dir="rtl"] .send svg { transform: scaleX(-1); }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@keyframes blink { 50% { opacity: 0; } }
@keyframes bounce { 0%, 80%, 100% { opacity: .35; transform: none; } 40% { opacity: 1; transform: translateY(-3px); } }
@media (max-width: 480px) {
  .panel, .left .panel { inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border: 0; border-radius: 0; }
  .open .launcher { display: none; }
  textarea, input { font-size: 16px; } /* below 16px iOS zooms the page on focus */
}
@media (prefers-reduced-motion: reduce) {
  .launcher, .panel, .open .panel { transition: none; }
  .launcher:hover { transform: none; }
  .typing i, .bubble[data-state="streaming"]::after { animation: none; }
}
@media (forced-colors: active) {
  .bubble, .launcher, .send, .primary { border: 1px solid CanvasText; }
  textarea:focus-visible, input:focus-visible { outline: 2px solid Highlight; }
  .star.on { color: Highlight; }
}
`;

  const host = document.createElement("div");
  host.id = "supportbot-widget";
  if (config.accent) host.style.setProperty("--supportbot-accent", config.accent);
  const shadow = host.attachShadow({ mode: "open" }); // open so tests and the host page's devtools can look in
  // A constructed stylesheet is not an inline <style>, so a host page CSP without 'unsafe-inline' still lets it apply.
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    shadow.append(Object.assign(document.createElement("style"), { textContent: CSS }));
  }
  // The DOM is built node by node, never from HTML strings: text can only ever land in text nodes, and pages that
  // enforce Trusted Types (which reject strings in innerHTML) work too.
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
    el.append(...children);
    return el;
  }
  function icon(...paths) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    const attrs = { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false", fill: "none", stroke: "currentColor",
      "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round" };
    for (const [name, value] of Object.entries(attrs)) svg.setAttribute(name, value);
    for (const d of paths) { const path = document.createElementNS(NS, "path"); path.setAttribute("d", d); svg.append(path); }
    return svg;
  }
  const ui = {
    title: h("h2", { class: "title", id: "title" }),
    statusText: h("span", { class: "status-text" }),
    close: h("button", { class: "close", type: "button", "data-testid": "close" }, icon("M6 6l12 12M18 6L6 18")),
    welcome: h("div", { class: "bubble", "data-testid": "welcome", dir: "auto" }),
    log: h("div", { class: "log", role: "log", "aria-live": "polite", "data-testid": "transcript" }),
    typingText: h("span", { class: "sr" }),
    notice: h("p", { class: "notice", "data-testid": "notice", role: "alert" }),
    input: h("textarea", { "data-testid": "input", rows: "1", autocomplete: "off", dir: "auto" }),
    send: h("button", { class: "send", type: "submit", "data-testid": "send" }, icon("M22 2L11 13", "M22 2l-7 20-4-9-9-4z")),
    badge: h("span", { class: "badge", "data-testid": "unread", "aria-hidden": "true", hidden: "" }),
  };
  ui.status = h("p", { class: "status", "data-testid": "status", role: "status" }, h("span", { class: "dot" }), ui.statusText);
  ui.typing = h("div", { class: "row bot typing", "data-testid": "typing", hidden: "" }, h("div", { class: "bubble" }, h("i"), h("i"), h("i")), ui.typingText);
  ui.humanText = h("span");
  ui.human = h("button", { class: "human", type: "button", "data-testid": "human-button" },
    icon("M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2", "M12 3a4 4 0 1 0 0 8a4 4 0 1 0 0-8z"), ui.humanText);
  // The customer closes a chat the bot answered well: it ends, and the rating is asked.
  ui.solved = h("button", { class: "human solved", type: "button", "data-testid": "solved-button" });
  ui.agentLine = h("p", { class: "agent-line", "data-testid": "agent-name", hidden: "" });
  ui.agentTyping = h("p", { class: "agent-typing", "data-testid": "typing-indicator", dir: "auto", hidden: "" });

  // Below the transcript, outside the live log: the contact form, the rating prompt and the lines that replace them.
  function field(type, testid, attrs = {}) {
    const label = h("span");
    const input = h(type === "textarea" ? "textarea" : "input", { ...(type === "textarea" ? {} : { type }), "data-testid": testid, ...attrs });
    return { label, input, el: h("label", { class: "field" }, label, input) };
  }
  ui.contactName = field("text", "contact-name", { autocomplete: "name", maxlength: "100", dir: "auto" });
  ui.contactEmail = field("email", "contact-email", { autocomplete: "email", maxlength: "254", dir: "ltr" });
  ui.contactPhone = field("tel", "contact-phone", { autocomplete: "tel", maxlength: "32", dir: "ltr" });
  ui.contactTitle = h("p", { class: "card-title" });
  ui.contactError = h("p", { class: "form-error", role: "alert", "data-testid": "contact-error" });
  ui.contactSubmit = h("button", { class: "primary", type: "submit", "data-testid": "contact-submit" });
  ui.contactForm = h("form", { class: "card", "data-testid": "contact-form", novalidate: "", hidden: "" },
    ui.contactTitle, ui.contactName.el, ui.contactEmail.el, ui.contactPhone.el, ui.contactError, ui.contactSubmit);
  ui.ended = h("p", { class: "line", role: "status", "data-testid": "conversation-ended", hidden: "" });
  ui.csatQuestion = h("p", { class: "card-title", id: "csat-question", dir: "auto" });
  ui.stars = [1, 2, 3, 4, 5].map((n) => h("button", { class: "star", type: "button", "data-testid": "csat-star", "data-rating": String(n), "aria-pressed": "false" }, "\u2605"));
  ui.csatComment = field("textarea", "csat-comment", { rows: "2", maxlength: "1000", dir: "auto" });
  ui.csatError = h("p", { class: "form-error", role: "alert", "data-testid": "csat-error" });
  ui.csatSubmit = h("button", { class: "primary", type: "submit", "data-testid": "csat-submit" });
  ui.csat = h("form", { class: "card", "data-testid": "csat-prompt", "aria-labelledby": "csat-question", hidden: "" },
    ui.csatQuestion, h("div", { class: "stars", role: "group", "aria-labelledby": "csat-question" }, ...ui.stars), ui.csatComment.el, ui.csatError, ui.csatSubmit);
  ui.csatThanks = h("p", { class: "line", role: "status", "data-testid": "csat-thanks", dir: "auto", hidden: "" });
  ui.restart = h("button", { class: "secondary", type: "button", "data-testid": "new-conversation", hidden: "" });
  ui.tail = h("div", { class: "tail" }, ui.agentTyping, ui.contactForm, ui.ended, ui.csat, ui.csatThanks, ui.restart);

  ui.scroller = h("div", { class: "scroller" }, h("div", { class: "row bot welcome" }, ui.welcome), ui.log, ui.typing, ui.tail);
  ui.form = h("form", { class: "composer" }, ui.input, ui.send);
  ui.panel = h("section", { class: "panel", id: "panel", "data-testid": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "title" },
    h("header", { class: "header" }, h("div", { class: "heading" }, ui.title, ui.agentLine, ui.status), ui.solved, ui.human, ui.close), ui.scroller, ui.notice, ui.form);
  ui.launcher = h("button", { class: "launcher", type: "button", "data-testid": "launcher", "aria-expanded": "false", "aria-controls": "panel" },
    h("span", { class: "icon-chat" }, icon("M21 12a8 8 0 0 1-11.6 7.1L4 20l1.1-4.4A8 8 0 1 1 21 12z")), h("span", { class: "icon-close" }, icon("M6 9l6 6 6-6")), ui.badge);
  ui.root = h("div", { class: "root " + config.position }, ui.panel, ui.launcher);
  shadow.append(ui.root);

  // --------------------------------------------------------------- transcript
  // A message is {role, seq, key, clientId, state, errorKey, row, bubble, text, meta, label, author, authorLine}. Rows are
  // kept sorted by `key`: the seq once known, reply_to + 0.5 for a reply still streaming, Infinity for an unacknowledged
  // message, last seq + 0.5 for a handoff notice (it has no seq).
  const messageOfRow = new WeakMap();
  const bySeq = new Map();
  const byClientId = new Map();
  const replyByReplyTo = new Map();
  const awaitingReply = new Map(); // seq of an acknowledged message -> timer; the typing dots show while non-empty
  const handoffNotices = []; // notices shown from `handoff` frames, no seq yet: a stored system message with the same text adopts one
  let stickToBottom = true;

  function createMessage(role, text, key, author = "") {
    const label = h("span", { class: "sr" });
    const testid = role === "agent" ? "agent-message" : "msg";
    const bubble = h("div", { class: "bubble", dir: "auto", "data-testid": testid, "data-role": role }, document.createTextNode(text));
    const meta = h("div", { class: "meta" });
    // A person's name shows above their bubble; screen readers get it from the hidden label instead.
    const authorLine = role === "agent" ? h("div", { class: "author", "data-testid": "agent-author", "aria-hidden": "true", dir: "auto" }) : null;
    const row = h("div", { class: "row " + (["customer", "agent", "system"].includes(role) ? role : "bot") }, label, ...(authorLine ? [authorLine] : []), bubble, meta);
    const msg = { role, seq: null, key, clientId: null, state: "", errorKey: "", row, bubble, text: bubble.firstChild, meta, label, author, authorLine };
    messageOfRow.set(row, msg);
    renderMessage(msg);
    placeRow(msg);
    return msg;
  }

  // Insert (or move) a row after the last row whose key is <= its own; equal keys keep arrival order.
  function placeRow(msg) {
    const prev = msg.row.previousElementSibling, next = msg.row.nextElementSibling;
    if (msg.row.parentNode === ui.log && (!prev || messageOfRow.get(prev).key <= msg.key) && (!next || messageOfRow.get(next).key >= msg.key)) return;
    let anchor = null;
    for (let node = ui.log.lastElementChild; node; node = node.previousElementSibling) {
      if (node !== msg.row && messageOfRow.get(node).key <= msg.key) { anchor = node; break; }
    }
    ui.log.insertBefore(msg.row, anchor ? anchor.nextElementSibling : ui.log.firstElementChild);
    followBottom();
  }

  function assignSeq(msg, seq) {
    if (!Number.isInteger(seq) || seq < 1) return;
    msg.seq = seq;
    msg.key = seq;
    msg.bubble.dataset.seq = String(seq);
    bySeq.set(seq, msg);
    if (seq > state.lastSeq) {
      const first = state.lastSeq === 0;
      state.lastSeq = seq;
      if (first) renderPeople(); // the "problem solved" button appears with the first message
    }
    placeRow(msg);
  }

  function setMessageState(msg, value, errKey = "") {
    msg.state = value;
    msg.errorKey = errKey;
    renderMessage(msg);
  }

  function setText(msg, text) {
    msg.text.data = text;
    followBottom();
  }

  // Everything about a message that depends on the UI language, so a language switch can redo it.
  function renderMessage(msg) {
    if (msg.state) msg.bubble.dataset.state = msg.state; else delete msg.bubble.dataset.state;
    const name = msg.role === "agent" ? msg.author || t("agent") : "";
    msg.label.textContent = msg.role === "customer" ? t("you") + ": " : msg.role === "system" ? "" : (name || t("bot")) + ": ";
    if (msg.authorLine) msg.authorLine.textContent = name;
    msg.meta.className = msg.state === "failed" ? "meta failed" : "meta";
    msg.meta.textContent = msg.state === "sending" ? t("sending") : msg.state === "failed" ? t(msg.errorKey) : "";
    if (msg.state === "error") msg.text.data = t(msg.errorKey);
  }

  function renderPending(item) {
    const msg = createMessage("customer", item.text, Infinity);
    msg.clientId = item.client_id;
    byClientId.set(item.client_id, msg);
    setMessageState(msg, "sending");
    return msg;
  }

  function resetTranscript() {
    ui.log.textContent = "";
    bySeq.clear(); byClientId.clear(); replyByReplyTo.clear();
    handoffNotices.length = 0;
    for (const seq of [...awaitingReply.keys()]) stopAwaiting(seq);
    state.lastSeq = 0;
    resetPeople();
    state.outbox.forEach(renderPending);
  }

  function expectReply(seq) {
    if (botSilent() || replyByReplyTo.has(seq) || awaitingReply.has(seq)) return;
    // Before the dots give up, one last resume: the reply may be stored and its frames lost.
    awaitingReply.set(seq, setTimeout(() => { sendResume(); stopAwaiting(seq); }, TYPING_TIMEOUT_MS));
    renderTyping();
    noteProgress();
  }

  // ------------------------------------------------------------------ stalls
  // The channel layer delivers at most once: a reply's deltas or its bot.done can be lost. While a reply is owed and
  // nothing arrives for it, resume from the last seq seen; the replay's bot.done (deduped by seq) replaces the bubble.
  const replyPending = () => !botSilent() && (awaitingReply.size > 0 || [...replyByReplyTo.values()].some((m) => m.state === "streaming"));

  function noteProgress() {
    state.stallDelay = STALL_MS;
    armStall();
  }

  function armStall() {
    clearTimeout(state.stallTimer);
    state.stallTimer = 0;
    if (state.connected && replyPending()) state.stallTimer = setTimeout(onStall, state.stallDelay);
  }

  function onStall() {
    state.stallTimer = 0;
    if (!state.connected || !replyPending()) return;
    sendResume();
    state.stallDelay = Math.min(state.stallDelay * 2, STALL_MAX_MS);
    armStall();
  }

  function sendResume() {
    if (sendFrame({ type: "resume", after_seq: state.lastSeq })) state.resumePending = true;
  }

  function stopAwaiting(seq) {
    clearTimeout(awaitingReply.get(seq));
    awaitingReply.delete(seq);
    renderTyping();
  }

  function renderTyping() {
    ui.typing.hidden = awaitingReply.size === 0 || botSilent();
    followBottom();
  }

  // A screen reader would read every streamed chunk; aria-busy holds the log until the reply is complete.
  function renderBusy() {
    const streaming = [...replyByReplyTo.values()].some((m) => m.state === "streaming") && state.connected;
    ui.log.setAttribute("aria-busy", String(streaming));
  }

  function followBottom(force) {
    if (force) stickToBottom = true;
    if (stickToBottom) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  function countUnread() {
    if (state.open || state.replaying) return;
    state.unread += 1;
    renderBadge();
  }

  function renderBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
  }

  // ----------------------------------------------------------------- language
  function setLanguage(tag) {
    const language = primaryTag(tag);
    if (!language || language === state.language) return;
    state.language = language;
    if (state.conversation) { state.conversation.language = language; storage.set(KEY_CONVERSATION, state.conversation); }
    applyLanguage();
  }

  function applyLanguage() {
    const lang = uiLanguage();
    ui.panel.lang = lang;
    ui.panel.dir = RTL_LANGUAGES.has(lang) ? "rtl" : "ltr";
    ui.title.textContent = config.title || t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.close.title = t("close");
    ui.input.placeholder = t("placeholder");
    ui.input.setAttribute("aria-label", t("placeholder"));
    ui.send.setAttribute("aria-label", t("send"));
    ui.send.title = t("send");
    ui.welcome.textContent = t("welcome");
    ui.typingText.textContent = t("typing");
    renderLauncher();
    renderStatus();
    ui.notice.textContent = noticeText();
    for (const row of ui.log.children) renderMessage(messageOfRow.get(row));
    renderPeople();
  }

  function renderLauncher() {
    ui.root.classList.toggle("open", state.open);
    ui.launcher.setAttribute("aria-expanded", String(state.open));
    ui.launcher.setAttribute("aria-label", state.open ? t("close") : t("open"));
  }

  function setStatus(status) {
    state.status = status;
    renderStatus();
  }

  function renderStatus() {
    ui.status.dataset.state = state.status;
    const s = state.status;
    ui.statusText.textContent = s === "idle" ? "" : s === "error" ? t("err_generic") : s === "limited" ? tWhen("limited_start", state.retryAt) : t(s);
  }

  // A notice stays 8 s, or until `seconds` from now when it names a wait ("We'll try again in 5 seconds").
  function showNotice(key, seconds) {
    state.noticeKey = key;
    state.noticeUntil = seconds ? Date.now() + seconds * 1000 : 0;
    ui.notice.textContent = noticeText();
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => { state.noticeKey = ""; ui.notice.textContent = ""; }, Math.max(8000, seconds * 1000 || 0));
  }

  function noticeText() {
    if (!state.noticeKey) return "";
    return state.noticeUntil ? tWhen(state.noticeKey, state.noticeUntil) : t(state.noticeKey);
  }

  // --------------------------------------------------------------- connection
  function saveOutbox() {
    storage.set(KEY_OUTBOX, state.outbox);
  }

  function removeFromOutbox(clientId) {
    const before = state.outbox.length;
    state.outbox = state.outbox.filter((item) => item.client_id !== clientId);
    if (state.outbox.length !== before) saveOutbox();
  }

  function sendFrame(frame) {
    const ws = state.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function ensureConnected() {
    if (state.socket || state.busy || state.stopped || !state.wanted) return;
    if (state.conversation) connect(); else startConversation();
  }

  function reconnectNow() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    ensureConnected();
  }

  // Exponential backoff, 0.5 s doubling up to 30 s, with jitter so a restarted server is not hit by every tab at once.
  function scheduleReconnect() {
    if (state.reconnectTimer) return;
    const ceiling = Math.min(30000, 500 * 2 ** state.attempt);
    state.attempt += 1;
    setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    state.reconnectTimer = setTimeout(() => { state.reconnectTimer = 0; ensureConnected(); }, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  // POST /api/conversations. Returns {body} on 201, else {status, retryAfter} (status 0: no answer at all;
  // retryAfter: seconds, with a 429).
  async function postConversation() {
    try {
      const response = await fetch(config.server + "/api/conversations", {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ locale: config.locale, visitor: visitorId() }),
      });
      if (response.status === 429) {
        let refusal = null;
        try { refusal = await response.json(); } catch (e) { /* the header may still say */ }
        return { status: 429, retryAfter: retrySeconds(refusal && refusal.retry_after) || retrySeconds(response.headers.get("Retry-After")) };
      }
      const body = response.ok ? await response.json() : null;
      if (body && typeof body.conversation === "string" && typeof body.ws === "string") return { body };
      return { status: response.status };
    } catch (e) {
      return { status: 0 }; // network failure or unreadable body
    }
  }

  // Refused with a wait (429): say so, with the time, and try again then, not before.
  function waitAndRetry(seconds) {
    clearTimeout(state.reconnectTimer);
    state.retryAt = Date.now() + seconds * 1000;
    setStatus("limited");
    state.reconnectTimer = setTimeout(() => { state.reconnectTimer = 0; ensureConnected(); }, seconds * 1000 + Math.random() * 1000);
  }

  function adoptConversation(body) {
    // "Talk to a person" pressed while this conversation was being made is a request for it: it goes once the socket
    // opens, like the outbox, instead of being wiped with the state of the conversation before.
    const askedForPerson = state.escalateQueued;
    state.conversation = { conversation: body.conversation, token: body.token || "", ws: body.ws, language: body.language || "" };
    storage.set(KEY_CONVERSATION, state.conversation);
    resetTranscript();
    if (askedForPerson) {
      Object.assign(state, { escalateQueued: true, escalating: true });
      renderPeople();
    }
    if (body.language) setLanguage(body.language);
  }

  async function startConversation() {
    state.busy = true;
    setStatus(state.attempt ? "reconnecting" : "connecting");
    const { body, status, retryAfter } = await postConversation();
    state.busy = false;
    if (body) {
      adoptConversation(body);
      connect();
    } else if (status === 429 && retryAfter) {
      waitAndRetry(retryAfter);
    } else if (status >= 400 && status < 500 && status !== 429) {
      state.stopped = true; // 400/403: the same request will be refused again; a new send clears this
      setStatus("error");
    } else {
      scheduleReconnect();
    }
  }

  function forgetConversation() {
    closeSocket();
    state.conversation = null;
    storage.remove(KEY_CONVERSATION);
  }

  function closeSocket() {
    const ws = state.socket;
    state.socket = null; // handlers of a socket that is no longer state.socket ignore its events
    state.connected = false;
    if (ws) try { ws.close(); } catch (e) { /* already closing */ }
    renderBusy();
  }

  function connect() {
    const url = new URL(state.conversation.ws, config.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const token = state.conversation.token;
    // The token goes in Sec-WebSocket-Protocol, never in the URL that proxies log; a path stored by an older
    // server still carries ?token=, which is dropped.
    if (token) url.search = "";
    let ws;
    try { ws = token ? new WebSocket(url.href, [SUBPROTOCOL, TOKEN_PROTOCOL + token]) : new WebSocket(url.href); } catch (e) { scheduleReconnect(); return; }
    state.socket = ws;
    let opened = false, timedOut = false;
    setStatus(state.attempt || state.refusals ? "reconnecting" : "connecting");
    // A handshake that hangs (dead network, stuck proxy) is retried, but is not taken as a refusal.
    const timer = setTimeout(() => { if (!opened) { timedOut = true; ws.close(); } }, CONNECT_TIMEOUT_MS);

    ws.onopen = () => {
      if (ws !== state.socket) return;
      opened = true;
      clearTimeout(timer);
      // Open: the stored conversation is fine after all, so a spare one made in handshakeRefused stays unused.
      Object.assign(state, { connected: true, attempt: 0, refusals: 0, replacedConversation: false, spareConversation: null, replaying: true });
      setStatus("online");
      sendResume();
      // Everything not yet acknowledged goes again, in order, with the same client_id: the server stores it once.
      for (const item of state.outbox) sendFrame({ type: "message", client_id: item.client_id, text: item.text });
      if (state.escalateQueued) sendEscalate();
      noteProgress();
    };
    ws.onmessage = (event) => {
      if (ws !== state.socket) return;
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === "object") handleFrame(frame);
    };
    ws.onclose = () => {
      clearTimeout(timer);
      if (ws !== state.socket) return;
      Object.assign(state, { socket: null, connected: false, replaying: false, resumePending: false });
      armStall(); // not connected: stops the stall watchdog until the next open
      renderBusy();
      formsLostSocket();
      if (!opened && !timedOut) handshakeRefused(); else scheduleReconnect();
    };
  }

  // A socket that closes before opening is either a refused handshake (conversation deleted or expired, bad token) or a
  // server that is down or restarting; the browser does not say which. After a few in a row, create a new conversation:
  // a 201 proves the server is up. The old one then gets one more try (it may just have come back), and only if that
  // is refused too is it replaced. Once per page: if the new one is refused as well, something else is wrong.
  async function handshakeRefused() {
    state.refusals += 1;
    if (state.spareConversation) {
      const spare = state.spareConversation;
      state.spareConversation = null;
      forgetConversation();
      adoptConversation(spare);
      connect();
      return;
    }
    if (state.refusals >= REFUSALS_BEFORE_NEW_CONVERSATION && !state.replacedConversation && navigator.onLine !== false) {
      state.busy = true;
      const { body } = await postConversation();
      state.busy = false;
      if (body && state.conversation && !state.socket) {
        state.replacedConversation = true;
        state.spareConversation = body;
        connect();
        return;
      }
    }
    scheduleReconnect();
  }

  // ------------------------------------------------------------------- frames
  function handleFrame(frame) {
    switch (frame.type) {
      case "ack": return onAck(frame);
      case "bot.delta": return onDelta(frame);
      case "bot.done": return onDone(frame);
      case "bot.restart": return onRestart(frame);
      case "bot.retract": return onRestart(frame); // the guard stopped it; the safe reply follows in bot.done
      case "message": return onMessage(frame);
      case "resume.done":
        Object.assign(state, { replaying: false, resumePending: false });
        if (Number.isInteger(frame.last_seq) && frame.last_seq > state.lastSeq) state.lastSeq = frame.last_seq;
        return undefined;
      case "error": return onError(frame);
      case "handoff": return onHandoff(frame);
      case "typing": return onAgentTyping(frame);
      case "contact.saved": return onContactSaved();
      case "csat.request": return onCsatRequest(frame);
      case "csat.saved": Object.assign(state, { csatState: "done", csatError: "" }); return renderPeople();
      default: return undefined; // unknown frames are ignored so the server can add new ones
    }
  }

  function onAck(frame) {
    if (typeof frame.client_id !== "string") return;
    removeFromOutbox(frame.client_id);
    if (typeof frame.language === "string") setLanguage(frame.language);
    const msg = byClientId.get(frame.client_id);
    if (!msg || !Number.isInteger(frame.seq)) return;
    if (msg.state !== "failed") setMessageState(msg, "sent");
    assignSeq(msg, frame.seq);
    expectReply(frame.seq);
  }

  // The bubble for a bot reply: by seq when known, else the one the deltas for `replyTo` built (a stored reply may
  // replay with reply_to 0, so a bubble that already has another seq is not reused).
  function replyFor(replyTo, seq) {
    let msg = Number.isInteger(seq) ? bySeq.get(seq) : null;
    const streamed = replyByReplyTo.get(replyTo);
    if (!msg && streamed && (streamed.seq === null || !Number.isInteger(seq))) msg = streamed;
    if (!msg) msg = createMessage("bot", "", Number.isInteger(seq) ? seq : replyTo + 0.5);
    replyByReplyTo.set(replyTo, msg);
    stopAwaiting(replyTo);
    return msg;
  }

  function onDelta(frame) {
    if (!Number.isInteger(frame.reply_to) || typeof frame.text !== "string") return;
    const msg = replyFor(frame.reply_to, null);
    // A chunk queued before the reply was stored can arrive after its bot.done (e.g. behind a replay): ignore it.
    if (msg.state === "done") return;
    // After a failed generation (bot.done with finish_reason "error", nothing stored) the server retries on resume.
    if (msg.state !== "streaming") { setMessageState(msg, "streaming"); setText(msg, ""); }
    msg.text.appendData(frame.text);
    renderBusy();
    followBottom();
    noteProgress();
  }

  // The worker generating this reply was lost and another one starts over: drop the partial text.
  function onRestart(frame) {
    if (!Number.isInteger(frame.reply_to)) return;
    const msg = replyByReplyTo.get(frame.reply_to);
    if (!msg || msg.state === "done") return;
    setMessageState(msg, "streaming");
    setText(msg, "");
    renderBusy();
    noteProgress();
  }

  function onDone(frame) {
    if (!Number.isInteger(frame.reply_to)) return;
    const msg = replyFor(frame.reply_to, frame.seq);
    const text = typeof frame.text === "string" ? frame.text : "";
    const wasDone = msg.state === "done" || msg.state === "error";
    if (!text && (frame.finish_reason === "error" || frame.finish_reason === "abort")) setMessageState(msg, "error", "err_generic");
    else { setMessageState(msg, "done"); setText(msg, text); }
    assignSeq(msg, frame.seq);
    showSources(msg, frame.sources);
    showOfferHandoff(msg, frame.offer_handoff === true);
    renderBusy();
    if (!wasDone) countUnread();
    noteProgress();
  }

  // Where a reply's answer comes from: links under it. Only http(s) links, or paths on our
  // server; the text is the article's title, as text (never markup).
  function sourceHref(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const resolved = new URL(url, config.server + "/");
      return resolved.protocol === "https:" || resolved.protocol === "http:" ? resolved.href : null;
    } catch (e) {
      return null;
    }
  }

  function showSources(msg, sources) {
    if (msg.sources) { msg.sources.remove(); msg.sources = null; }
    const links = (Array.isArray(sources) ? sources : [])
      .map((s) => (s && typeof s === "object" ? [sourceHref(s.url), clean(s.title, 200)] : [null, ""]))
      .filter(([href, title]) => href && title)
      .map(([href, title]) => h("a", { href, target: "_blank", rel: "noopener noreferrer", "data-testid": "source-link" }, title));
    if (!links.length) return;
    msg.sources = h("div", { class: "sources", "data-testid": "sources" }, ...links);
    msg.row.insertBefore(msg.sources, msg.meta);
  }

  // "I don't have that information": a button to bring in a person, right under the reply.
  function showOfferHandoff(msg, offered) {
    if (msg.offer) { msg.offer.remove(); msg.offer = null; }
    if (!offered || botSilent()) return;
    msg.offer = h("button", { class: "human offer", type: "button", "data-testid": "offer-human" }, t("human"));
    msg.offer.addEventListener("click", () => { escalate(); if (msg.offer) msg.offer.disabled = true; });
    msg.row.insertBefore(msg.offer, msg.meta);
  }

  function onMessage(frame) {
    if (!Number.isInteger(frame.seq) || typeof frame.text !== "string") return;
    const role = typeof frame.role === "string" ? frame.role : "system";
    if (bySeq.has(frame.seq)) return; // already shown (replayed twice, or live then replayed)
    let msg = role === "customer" && typeof frame.client_id === "string" ? byClientId.get(frame.client_id) : null;
    const notice = role === "system" ? handoffNotices.findIndex((m) => m.text.data === frame.text.trim()) : -1;
    if (notice >= 0) {
      // The server stored the handoff notice it already sent: the line on screen gets its seq instead of a twin.
      [msg] = handoffNotices.splice(notice, 1);
    } else if (msg) {
      // Our own message, stored before its ack reached us: it is delivered.
      removeFromOutbox(frame.client_id);
      setMessageState(msg, "sent");
    } else {
      msg = createMessage(role, frame.text, frame.seq, role === "agent" ? clean(frame.author, 100) : "");
      if (role === "customer") {
        if (typeof frame.client_id === "string") { msg.clientId = frame.client_id; byClientId.set(frame.client_id, msg); }
        setMessageState(msg, "sent");
      } else countUnread();
    }
    assignSeq(msg, frame.seq);
    if (role === "agent" || role === "system") for (const seq of [...awaitingReply.keys()]) stopAwaiting(seq); // a human took over
    if (role === "agent") hideAgentTyping();
  }

  function onError(frame) {
    const wait = frame.code === "rate_limited" ? retrySeconds(frame.retry_after) : null;
    if (wait) return onRateLimited(frame, wait);
    if (typeof frame.client_id !== "string" && formError(frame.code)) return;
    const key = errorKey(frame.code);
    const msg = typeof frame.client_id === "string" ? byClientId.get(frame.client_id) : null;
    if (typeof frame.client_id === "string") removeFromOutbox(frame.client_id); // refused or stored: resending would not help
    if (frame.code === "unavailable" || frame.code === "busy") {
      // The message is stored and will be answered later: not a failure, just no reply right now.
      if (msg && msg.state === "sending") setMessageState(msg, "sent");
      if (msg && msg.seq) stopAwaiting(msg.seq);
      showNotice(key);
      return;
    }
    if (msg) setMessageState(msg, "failed", key); else showNotice(key);
    // A resolved conversation takes no more messages: forget it so the next message starts a new one.
    if (frame.code === "conversation_closed") { forgetConversation(); state.wanted = false; }
  }

  // Over a budget, with the wait: say so, with the time, and send again then. A refused message stays in the outbox
  // (same client_id: stored once); a refused resume is asked again; a form is given back to the customer.
  function onRateLimited(frame, seconds) {
    showNotice("err_rate_limited_wait", seconds);
    if (typeof frame.client_id === "string") {
      if (!state.outboxTimer) state.outboxTimer = setTimeout(resendOutbox, seconds * 1000);
    } else if (state.resumePending) {
      state.resumePending = false;
      setTimeout(sendResume, seconds * 1000);
    } else {
      formError(frame.code);
    }
  }

  function resendOutbox() {
    state.outboxTimer = 0;
    for (const item of state.outbox) sendFrame({ type: "message", client_id: item.client_id, text: item.text });
  }

  // ------------------------------------------------------------------- people
  // Handoff to a person, their messages and typing, the contact form while nobody is online, and the rating at the end.
  // Everything here comes from the server and lands in text nodes only.
  function onHandoff(frame) {
    if (!HANDOFF_STATES.has(frame.state)) return;
    const agent = frame.state === "agent" ? clean(frame.agent, 100) : "";
    // The same state again adds no second notice: the server repeats the current one after each resume.done, with
    // the escalation's reason rather than the step's, so the reason is not part of the comparison.
    const key = [frame.state, agent, frame.agents_online].join("|");
    const repeated = key === state.handoffKey;
    Object.assign(state, { handoffKey: key, handoff: frame.state, agentName: agent });
    if (botSilent()) state.escalateQueued = false; // already with people: the button's request is moot
    if (frame.state === "waiting_agent") state.agentsOnline = frame.agents_online !== false;
    clearEscalating();
    if (frame.state !== "agent") hideAgentTyping();
    if (botSilent()) for (const seq of [...awaitingReply.keys()]) stopAwaiting(seq);
    const notice = clean(frame.notice, 2000);
    if (notice && !repeated) {
      const msg = createMessage("system", notice, state.lastSeq + 0.5);
      msg.bubble.dataset.testid = "handoff-notice";
      handoffNotices.push(msg);
      countUnread();
    }
    renderPeople();
  }

  // The form gives way to a thank-you line in the transcript, where it stays as later messages arrive.
  function onContactSaved() {
    if (state.contact === "saved") return;
    Object.assign(state, { contact: "saved", contactError: "" });
    createMessage("system", t("contact_thanks"), state.lastSeq + 0.5).bubble.dataset.testid = "contact-thanks";
    renderPeople();
  }

  function onAgentTyping(frame) {
    if (frame.role !== undefined && frame.role !== "agent") return;
    ui.agentTyping.hidden = false;
    clearTimeout(state.agentTypingTimer);
    state.agentTypingTimer = setTimeout(hideAgentTyping, AGENT_TYPING_MS);
    followBottom();
  }

  function hideAgentTyping() {
    clearTimeout(state.agentTypingTimer);
    ui.agentTyping.hidden = true;
  }

  // Sent while the conversation is resolved and unrated, again after each resume.done: the prompt is shown once and
  // re-armed, since a rating sent just before a reconnect may never have arrived.
  function onCsatRequest(frame) {
    if (state.csatState === "done") return;
    state.csat = { question: clean(frame.question, 500), commentLabel: clean(frame.comment_label, 200),
      submitLabel: clean(frame.submit_label, 100), thanks: clean(frame.thanks, 500) };
    state.csatState = "open";
    if (state.handoff !== "resolved") onHandoff({ state: "resolved" }); // after a reload no handoff frame says so
    renderPeople();
  }

  // Errors carry no id for escalate, contact and csat frames: they answer whichever of those is waiting. True when
  // a form took the error, so no notice is needed.
  function formError(code) {
    if (code === "csat_already_given") { state.csatState = "done"; renderPeople(); return true; }
    let taken = false;
    if (state.contact === "sending" || code === "invalid_contact") {
      if (state.contact === "sending") state.contact = "";
      state.contactError = code === "invalid_contact" ? "contact_invalid" : "err_generic";
      taken = true;
    }
    if (state.csatState === "sending" || code === "csat_not_open") {
      if (state.csatState === "sending") state.csatState = "open";
      state.csatError = "err_generic";
      taken = true;
    }
    clearEscalating();
    renderPeople();
    return taken;
  }

  // A frame in flight when the socket closed may be lost: let the customer send it again.
  function formsLostSocket() {
    if (state.contact === "sending") state.contact = "";
    if (state.csatState === "sending") state.csatState = "open";
    renderPeople();
  }

  function escalate() {
    if (botSilent() || state.escalating) return;
    state.wanted = true;
    state.stopped = false;
    state.escalateQueued = true;
    if (state.connected) sendEscalate(); else reconnectNow(); // sent from onopen
    state.escalating = true;
    renderPeople();
  }

  function sendEscalate() {
    if (!sendFrame({ type: "escalate" })) return;
    state.escalateQueued = false;
    clearTimeout(state.escalateTimer);
    state.escalateTimer = setTimeout(() => { clearEscalating(); renderPeople(); }, ESCALATE_WAIT_MS);
  }

  function clearEscalating() {
    clearTimeout(state.escalateTimer);
    if (!state.escalateQueued) state.escalating = false;
  }

  // Only a person reads "typing", so it goes only while one has the conversation, and at most every 2 s.
  function noteTyping() {
    if (state.handoff !== "agent" || !ui.input.value.trim() || Date.now() - state.typingSentAt < TYPING_SEND_MS) return;
    if (sendFrame({ type: "typing" })) state.typingSentAt = Date.now();
  }

  function submitContact() {
    if (state.contact) return;
    const [name, email, phone] = [ui.contactName, ui.contactEmail, ui.contactPhone].map((f) => f.input.value.trim());
    // At least one of email and phone, and whichever is filled in must look right; the server checks again.
    const digits = phone.replace(/\D/g, "").length;
    const none = !email && !phone;
    const emailOk = !none && (!email || EMAIL_RE.test(email));
    const phoneOk = !phone || (PHONE_RE.test(phone) && digits >= 6 && digits <= 20);
    ui.contactEmail.input.setAttribute("aria-invalid", String(!emailOk));
    ui.contactPhone.input.setAttribute("aria-invalid", String(!phoneOk));
    if (!emailOk || !phoneOk) {
      state.contactError = "contact_invalid";
      renderPeople();
      (emailOk ? ui.contactPhone : ui.contactEmail).input.focus();
      return;
    }
    const frame = { type: "contact" };
    if (name) frame.name = name;
    if (email) frame.email = email;
    if (phone) frame.phone = phone;
    Object.assign(state, sendFrame(frame) ? { contact: "sending", contactError: "" } : { contactError: "err_generic" });
    renderPeople();
  }

  function submitCsat() {
    if (state.csatState !== "open" || !state.csatRating) return;
    const frame = { type: "csat", rating: state.csatRating, comment: ui.csatComment.input.value.trim() };
    Object.assign(state, sendFrame(frame) ? { csatState: "sending", csatError: "" } : { csatError: "err_generic" });
    renderPeople();
  }

  function resetPeople() {
    clearTimeout(state.escalateTimer);
    hideAgentTyping();
    Object.assign(state, freshPeople());
    for (const f of [ui.contactName, ui.contactEmail, ui.contactPhone, ui.csatComment]) { f.input.value = ""; f.input.removeAttribute("aria-invalid"); }
    renderPeople();
  }

  function startNewConversation() {
    forgetConversation();
    resetTranscript();
    state.wanted = true;
    state.stopped = false;
    reconnectNow();
    ui.input.focus();
  }

  // Only real changes touch the DOM: role=status and role=alert regions are read out again on every rewrite.
  function putText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // Puts a localised sentence with one name into `el`; the name is a <bdi>, so "Anna" reads right inside Arabic.
  function fillName(el, key, name) {
    const [before, after = ""] = t(key).split("{name}");
    if (el.textContent !== before + name + after) el.replaceChildren(before, h("bdi", {}, name), after);
  }

  // Everything shown for the handoff state, in the UI language; called after each change and on a language switch.
  function renderPeople() {
    const s = state.handoff, name = state.agentName || t("agent");
    putText(ui.humanText, t("human"));
    ui.human.disabled = s !== "bot" || state.escalating;
    putText(ui.solved, t("solved"));
    ui.solved.hidden = !(s === "bot" && state.lastSeq > 0);
    ui.agentLine.hidden = s !== "agent";
    fillName(ui.agentLine, "agent_helping", name);
    fillName(ui.agentTyping, "agent_typing", name);

    const sending = state.contact === "sending";
    ui.contactForm.hidden = !(s === "waiting_agent" && !state.agentsOnline && state.contact !== "saved");
    putText(ui.contactTitle, t("contact_title"));
    putText(ui.contactName.label, t("contact_name"));
    putText(ui.contactEmail.label, t("contact_email"));
    putText(ui.contactPhone.label, t("contact_phone"));
    for (const f of [ui.contactName, ui.contactEmail, ui.contactPhone]) f.input.readOnly = sending;
    putText(ui.contactError, state.contactError ? t(state.contactError) : "");
    putText(ui.contactSubmit, t("send"));
    ui.contactSubmit.disabled = sending;

    const ended = s === "resolved";
    ui.ended.hidden = !ended;
    putText(ui.ended, t("ended"));
    ui.restart.hidden = !ended;
    putText(ui.restart, t("new_conversation"));
    ui.input.disabled = ended;
    ui.send.disabled = ended;

    const c = state.csat || {}, csatSending = state.csatState === "sending";
    ui.csat.hidden = !state.csat || state.csatState === "done";
    putText(ui.csatQuestion, c.question || t("csat_question"));
    putText(ui.csatComment.label, c.commentLabel || t("csat_comment"));
    ui.csatComment.input.readOnly = csatSending;
    putText(ui.csatSubmit, c.submitLabel || t("csat_submit"));
    ui.csatSubmit.disabled = !state.csatRating || csatSending;
    putText(ui.csatError, state.csatError ? t(state.csatError) : "");
    for (const star of ui.stars) {
      const n = Number(star.dataset.rating);
      star.setAttribute("aria-label", t("star").replace("{n}", String(n)));
      star.setAttribute("aria-pressed", String(n === state.csatRating));
      star.classList.toggle("on", n <= state.csatRating);
      star.disabled = csatSending;
    }
    ui.csatThanks.hidden = state.csatState !== "done";
    putText(ui.csatThanks, c.thanks || t("csat_thanks"));
    renderTyping();
  }

  // ------------------------------------------------------------------ actions
  function submitInput() {
    const text = ui.input.value.trim();
    if (!text || ui.input.disabled) return;
    if (Array.from(text).length > MAX_CHARS) { showNotice("err_text_too_long"); return; }
    const item = { client_id: uuid(), text };
    state.outbox.push(item);
    saveOutbox();
    ui.input.value = "";
    autosize();
    renderPending(item);
    followBottom(true);
    state.wanted = true;
    state.stopped = false; // the visitor tries again: so do we
    if (!sendFrame({ type: "message", client_id: item.client_id, text })) reconnectNow();
  }

  function openPanel(focus) {
    if (!state.open) {
      state.open = true;
      state.unread = 0;
      renderBadge();
      renderLauncher();
      sessionFlag(true);
    }
    state.wanted = true;
    ensureConnected();
    followBottom(true);
    if (focus) setTimeout(() => ui.input.focus(), 0);
  }

  function closePanel(returnFocus) {
    if (!state.open) return;
    state.open = false;
    renderLauncher();
    sessionFlag(false);
    if (returnFocus) ui.launcher.focus();
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 140) + "px";
  }

  ui.launcher.addEventListener("click", () => (state.open ? closePanel(true) : openPanel(true)));
  ui.close.addEventListener("click", () => closePanel(true));
  ui.root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) { event.preventDefault(); closePanel(true); }
  });
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); submitInput(); });
  ui.input.addEventListener("keydown", (event) => {
    // isComposing: Enter that confirms a Chinese/Japanese/Korean IME candidate must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) { event.preventDefault(); submitInput(); }
  });
  ui.input.addEventListener("input", () => { autosize(); noteTyping(); });
  ui.human.addEventListener("click", escalate);
  ui.solved.addEventListener("click", () => { sendFrame({ type: "resolve" }); });
  ui.contactForm.addEventListener("submit", (event) => { event.preventDefault(); submitContact(); });
  ui.csat.addEventListener("submit", (event) => { event.preventDefault(); submitCsat(); });
  for (const star of ui.stars) {
    star.addEventListener("click", () => { state.csatRating = Number(star.dataset.rating); state.csatError = ""; renderPeople(); });
  }
  ui.restart.addEventListener("click", startNewConversation);
  ui.scroller.addEventListener("scroll", () => {
    stickToBottom = ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 48;
  }, { passive: true });
  window.addEventListener("online", () => { if (!state.connected) setStatus(state.wanted ? "reconnecting" : "idle"); reconnectNow(); });
  window.addEventListener("offline", () => { if (state.wanted) setStatus("offline"); });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible" && !state.connected) reconnectNow(); });

  // ------------------------------------------------------------------- start
  window.SupportBot = Object.freeze({
    open: () => openPanel(true),
    close: () => closePanel(false),
    state: () => ({
      connected: state.connected,
      conversation: state.conversation ? state.conversation.conversation : null,
      lastSeq: state.lastSeq,
      language: state.language,
      outbox: state.outbox.length,
      handoff: state.handoff,
    }),
  });

  function mount() {
    document.body.appendChild(host);
    applyLanguage();
    state.outbox.forEach(renderPending); // unacknowledged messages from before a reload: shown now, resent on connect
    if (config.startOpen || sessionFlag()) openPanel(false); // never steal focus from the host page on load
    else ensureConnected(); // a returning visitor reconnects in the background: transcript, unread count, outbox
  }

  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
