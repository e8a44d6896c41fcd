/** Where a SIP message goes or came from: the transport and the IP address (or host name) and port. */
export interface SipAddress { readonly transport: 'udp' | 'tcp'; readonly host: string; readonly port: number }
